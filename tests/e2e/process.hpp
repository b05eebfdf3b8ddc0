#pragma once
// Runs the emporium binary as a child process, as a user would.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace emporium::test {

struct ProcessResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

/// Runs to completion (killed after timeout) and returns the exit code and output.
ProcessResult runProcess(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         std::chrono::seconds timeout = std::chrono::seconds(60));

/// A background child; the destructor kills it if still running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int sig) const;
  /// Waits for exit; returns the exit code (128+N when killed by signal N), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  std::string output() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  bool exited_ = false;
};

/// A loopback port that was free a moment ago.
std::uint16_t freePort();

/// Polls GET /healthz until it answers 200 (true) or the timeout passes.
bool waitForHealthy(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace emporium::test
