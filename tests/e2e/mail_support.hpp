#pragma once
// Mail as end-to-end tests see it: the messages a mailer left in a directory
// (data/mail/*.eml, or a Maildir), and a real SMTP server of a test's own
// (tests/support/slow_smtp.py, aiosmtpd) that can be slow or refuse on purpose.
// A test target that includes this defines EMPORIUM_SLOW_SMTP (the script).

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/process.hpp"
#include "e2e/shop_support.hpp"

namespace emporium::test {

inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The messages (whole files) under dir, recursively: data/mail/*.eml, or a
// Maildir's new/ and cur/.
inline std::vector<std::string> messagesIn(const std::filesystem::path& dir) {
  std::vector<std::string> messages;
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return messages;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const auto name = entry.path().filename().string();
    if (name.starts_with(".") || entry.path().parent_path().filename() == "tmp") continue;
    messages.push_back(readFile(entry.path()));
  }
  return messages;
}

inline std::size_t countContaining(const std::vector<std::string>& messages,
                                   const std::string& needle) {
  return static_cast<std::size_t>(
      std::count_if(messages.begin(), messages.end(),
                    [&](const auto& m) { return m.find(needle) != std::string::npos; }));
}

// A real SMTP server (aiosmtpd) of this test's own that takes `delay` seconds
// per message, refuses recipients whose address starts with "reject" (550) and
// defers those starting with "busy" (451).
class SlowSmtp {
 public:
  SlowSmtp(const std::filesystem::path& dir, double delay) : dir_(dir) {
    // Port 0: the server binds whatever is free and logs "ready <port> <time>".
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/python3", EMPORIUM_SLOW_SMTP, "--port", "0", "--maildir",
                                 (dir_ / "maildir").string(), "--delay", std::to_string(delay),
                                 "--log", (dir_ / "smtp.log").string()},
        std::map<std::string, std::string>{});
    ready_ = eventually(
        [&] {
          std::istringstream log(readFile(dir_ / "smtp.log"));
          std::string word;
          unsigned port = 0;
          if (!(log >> word >> port) || word != "ready") return false;
          port_ = static_cast<std::uint16_t>(port);
          return true;
        },
        std::chrono::seconds(15));
  }
  ~SlowSmtp() {
    process_->signal(SIGTERM);
    process_->wait(std::chrono::seconds(5));
  }
  bool ready() const { return ready_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> messages() const { return messagesIn(dir_ / "maildir"); }
  // The server's log: one line per event ("rejected <rcpt> <unix time>", ...).
  std::string log() const { return readFile(dir_ / "smtp.log"); }
  std::string output() const { return process_->output(); }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
  bool ready_ = false;
};

}  // namespace emporium::test
