#pragma once
// A log sink that drops every line: for tests that need a Logger but not its
// output.

#include <string_view>

#include "core/log/logger.hpp"

namespace emporium::test {

class NullSink final : public log::Sink {
 public:
  void write(std::string_view /*line*/) override {}
  void flush() override {}
};

}  // namespace emporium::test
