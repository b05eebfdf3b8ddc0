#pragma once
// Runs the emporium binary as a child process, as a user would.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
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
  /// False once the child has exited (reaps it; wait() then returns at once).
  bool running();
  /// Waits for exit; returns the exit code (128+N when killed by signal N), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  std::string output() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  bool exited_ = false;
  int exit_code_ = -1;
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
/// The services whose databases exist for a test, sorted: the *.db files in
/// `data_dir` on SQLite, the "<dbname>_<service>" databases on PostgreSQL.
std::vector<std::string> serviceDatabases(const std::filesystem::path& data_dir,
                                          const std::map<std::string, std::string>& env);

/// Undoes prepareBackend once the test's servers are stopped: removes the
/// data directory and, on PostgreSQL, drops every database the servers made
/// under the test's name (one per service). Without it a full run leaves
/// thousands of databases behind, over 10 GB, and fills a CI disk. Never
/// throws: a failure is printed and the test's own result stands.
void releaseBackend(const std::filesystem::path& data_dir,
                    const std::map<std::string, std::string>& env);

/// `emporium serve` started as a child on 127.0.0.1:0: the kernel picks the
/// port as it binds, so tests running in parallel never race for one. The
/// server writes its ports to a file (--port-file) once it serves.
struct ServeProcess {
  std::unique_ptr<ChildProcess> child;
  /// The shop's port; 0 when the server did not start (child->output() says why).
  std::uint16_t port = 0;
  /// Every listener of the port file by name: "shop", and "sandbox", "ops"... when started.
  std::map<std::string, std::uint16_t> ports;
};
ServeProcess startServe(const std::string& binary, const std::vector<std::string>& extra_args,
                        const std::map<std::string, std::string>& env,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// "NAME PORT" lines of a port file; empty when it does not exist (yet).
std::map<std::string, std::uint16_t> readPortFile(const std::filesystem::path& file);

/// A loopback port bound, never listened on, for as long as this object lives:
/// connecting to it is refused at once, and no other process can take it
/// meanwhile (a "dead peer" for tests of unreachable servers).
class ClosedPort {
 public:
  ClosedPort();
  ~ClosedPort();
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// A port for a third-party server that cannot report the port it bound
/// (redis-server): random, below Linux's ephemeral range (32768+) so that no
/// outgoing connection holds it. Two tests may still pick the same one: the
/// caller must check that its own server bound it (its log) and pick again
/// when not.
std::uint16_t candidatePort();

/// Polls GET /healthz until it answers 200 (true) or the timeout passes.
bool waitForHealthy(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace emporium::test
