#pragma once
// Runs the emporium binary as a child process, as a user would.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
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

/// An environment variable, nullopt when unset or empty.
std::optional<std::string> env(const char* name);
/// True when the flag variable is "1" (EMPORIUM_REQUIRE_POSTGRES, ...).
bool required(const char* flag);
/// A random decimal suffix for names that must not collide between tests.
std::string randomSuffix();

/// What a server under test needs on one backend: a fresh data directory
/// and, on PostgreSQL, a database name of its own, so every test starts
/// empty. nullopt when PostgreSQL is asked for but not configured
/// (EMPORIUM_TEST_POSTGRES_URL); the caller skips or fails.
struct BackendSetup {
  std::filesystem::path data_dir;
  std::map<std::string, std::string> env;
};
std::optional<BackendSetup> prepareBackend(bool postgres, const std::string& prefix);

/// A loopback port that was free a moment ago.
std::uint16_t freePort();

/// Polls GET /healthz until it answers 200 (true) or the timeout passes.
bool waitForHealthy(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace emporium::test
