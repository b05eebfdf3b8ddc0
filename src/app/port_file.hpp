#pragma once
// The ports a running `serve` listens on, written for scripts and tests that
// start it on port 0 (--port-file / EMPORIUM_PORT_FILE).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace emporium::app {

/// A listener's name ("shop", "sandbox", "ops") and the port it is bound to.
using NamedPort = std::pair<std::string, std::uint16_t>;

/// Writes one "NAME PORT" line per listener to `path`, atomically (a reader
/// sees no file or the whole file, never a part). Throws std::runtime_error
/// naming the path when it cannot.
void writePortFile(const std::string& path, const std::vector<NamedPort>& ports);

}  // namespace emporium::app
