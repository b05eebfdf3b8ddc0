#include "app/port_file.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace emporium::app {

void writePortFile(const std::string& path, const std::vector<NamedPort>& ports) {
  // Written beside the target and renamed over it: rename is atomic within a
  // file system, so a test polling for the file never reads half of it.
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    for (const auto& [name, port] : ports) out << name << ' ' << port << '\n';
    out.flush();
    if (!out) throw std::runtime_error("cannot write the port file " + temporary);
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw std::runtime_error("cannot write the port file " + path + ": " + error.message());
  }
}

}  // namespace emporium::app
