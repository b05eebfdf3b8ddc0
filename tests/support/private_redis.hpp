#pragma once
// A redis-server of a test's own, for tests that kill Redis and bring it back.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "e2e/process.hpp"

namespace emporium::test {

class PrivateRedis {
 public:
  /// `program` is the redis-server binary; `password` empty for none.
  explicit PrivateRedis(std::string program, std::string password = {});
  ~PrivateRedis();
  PrivateRedis(const PrivateRedis&) = delete;
  PrivateRedis& operator=(const PrivateRedis&) = delete;

  /// Starts it. The first start picks a port (candidatePort(), again while
  /// another process holds the one picked); later starts reuse that port, so
  /// clients configured with url() find it again. Success only once this
  /// server (by its own log, never another one on the port) accepts connections.
  ::testing::AssertionResult start(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// SIGKILL, as a crash would.
  void kill();

  std::uint16_t port() const { return port_; }
  /// redis://[:password@]127.0.0.1:PORT/db
  std::string url(int db = 0) const;
  std::string output() const;

 private:
  /// One attempt on port_: true when it is serving, false when it exited (port taken).
  bool launch(std::chrono::steady_clock::time_point deadline);

  std::string program_;
  std::string password_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace emporium::test
