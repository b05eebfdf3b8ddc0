#include "support/private_redis.hpp"

#include <signal.h>

#include <thread>
#include <utility>
#include <vector>

namespace emporium::test {

PrivateRedis::PrivateRedis(std::string program, std::string password)
    : program_(std::move(program)), password_(std::move(password)) {}

PrivateRedis::~PrivateRedis() { kill(); }

bool PrivateRedis::launch(std::chrono::steady_clock::time_point deadline) {
  std::vector<std::string> args{
      program_,       "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
      "--appendonly", "no",     "--daemonize",         "no",     "--dir",     "/tmp"};
  if (!password_.empty()) {
    args.emplace_back("--requirepass");
    args.push_back(password_);
  }
  process_ = std::make_unique<ChildProcess>(args, std::map<std::string, std::string>{});
  while (std::chrono::steady_clock::now() < deadline) {
    // Redis logs this once its listening socket is bound; a bind failure
    // ("Address already in use") makes it exit instead.
    if (process_->output().find("Ready to accept connections") != std::string::npos) return true;
    if (!process_->running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

::testing::AssertionResult PrivateRedis::start(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (port_ != 0) {
    if (launch(deadline)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "redis-server did not start again on port " << port_ << ":\n"
           << output();
  }
  while (std::chrono::steady_clock::now() < deadline) {
    port_ = candidatePort();
    if (launch(deadline)) return ::testing::AssertionSuccess();
    if (process_->running()) break;  // neither serving nor gone: out of time
  }
  return ::testing::AssertionFailure() << "redis-server did not start:\n" << output();
}

void PrivateRedis::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(10));
  process_.reset();
}

std::string PrivateRedis::url(int db) const {
  std::string url = "redis://";
  if (!password_.empty()) url += ":" + password_ + "@";
  return url + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

std::string PrivateRedis::output() const { return process_ ? process_->output() : std::string(); }

}  // namespace emporium::test
