#include "e2e/process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/sql/postgres_connection.hpp"
#include "core/sql/postgres_conninfo.hpp"
#include "support/http_client.hpp"

extern char** environ;

namespace emporium::test {
namespace {

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& log_path) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    // Unset every EMPORIUM_* variable from the test's own environment (CI sets
    // some), then apply exactly what the test asked for.
    std::vector<std::string> drop;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      if (entry.rfind("EMPORIUM_", 0) == 0) drop.push_back(entry.substr(0, entry.find('=')));
    }
    for (const auto& name : drop) ::unsetenv(name.c_str());
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string tempLogPath() {
  std::random_device rd;
  return "/tmp/emporium-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + ".log";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int waitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

ProcessResult runProcess(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env,
                         std::chrono::seconds timeout) {
  const auto log_path = tempLogPath();
  const pid_t pid = spawn(args, env, log_path);
  ProcessResult result;
  result.exit_code = waitFor(pid, timeout);
  if (result.exit_code == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  result.output = readFile(log_path);
  ::unlink(log_path.c_str());
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env)
    : log_path_(tempLogPath()) {
  pid_ = spawn(args, env, log_path_);
}

ChildProcess::~ChildProcess() {
  if (!exited_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(log_path_.c_str());
}

void ChildProcess::signal(int sig) const { ::kill(pid_, sig); }

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  const int code = waitFor(pid_, timeout);
  if (code != -1) {
    exited_ = true;
    exit_code_ = code;
  }
  return code;
}

bool ChildProcess::running() { return wait(std::chrono::milliseconds(0)) == -1; }

std::string ChildProcess::output() const { return readFile(log_path_); }

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

bool required(const char* flag) { return env(flag).value_or("") == "1"; }

std::string randomSuffix() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  return std::to_string(gen() % 1000000000ULL);
}

std::optional<BackendSetup> prepareBackend(bool postgres, const std::string& prefix) {
  BackendSetup setup;
  if (postgres) {
    const auto url = env("EMPORIUM_TEST_POSTGRES_URL");
    if (!url) return std::nullopt;
    setup.env["EMPORIUM_POSTGRES_URL"] =
        url->substr(0, url->rfind('/') + 1) + prefix + "_" + randomSuffix();
  }
  setup.data_dir =
      std::filesystem::temp_directory_path() / ("emporium-" + prefix + "-" + randomSuffix());
  std::filesystem::create_directories(setup.data_dir);
  setup.env["EMPORIUM_DATA_DIR"] = setup.data_dir.string();
  setup.env["EMPORIUM_LOG_LEVEL"] = "warn";
  return setup;
}

namespace {

// The databases "<url's dbname>_<service>" (postgres_conninfo.cpp) of a test's
// PostgreSQL URL, by full name.
std::vector<std::string> postgresDatabases(const sql::PostgresTarget& target) {
  sql::PostgresConnection admin(target, "postgres");
  const std::string prefix = target.url_dbname + "_";
  const std::string_view params_storage = prefix;
  const std::vector<sql::Param> params{params_storage};
  const sql::Result databases =
      admin.execute({"", "SELECT datname FROM pg_database WHERE starts_with(datname, $1)"}, params);
  std::vector<std::string> names;
  for (const sql::Row& row : databases) names.push_back(row.getText(0));
  return names;
}

}  // namespace

std::vector<std::string> serviceDatabases(const std::filesystem::path& data_dir,
                                          const std::map<std::string, std::string>& env) {
  std::vector<std::string> services;
  const auto url = env.find("EMPORIUM_POSTGRES_URL");
  if (url == env.end()) {
    for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
      if (entry.path().extension() == ".db") services.push_back(entry.path().stem().string());
    }
  } else {
    const sql::PostgresTarget target = sql::parsePostgresTarget(url->second, "any");
    for (const auto& name : postgresDatabases(target)) {
      services.push_back(name.substr(target.url_dbname.size() + 1));
    }
  }
  std::sort(services.begin(), services.end());
  return services;
}

void releaseBackend(const std::filesystem::path& data_dir,
                    const std::map<std::string, std::string>& env) {
  std::error_code ignored;
  if (!data_dir.empty()) std::filesystem::remove_all(data_dir, ignored);
  const auto url = env.find("EMPORIUM_POSTGRES_URL");
  if (url == env.end()) return;
  try {
    const sql::PostgresTarget target = sql::parsePostgresTarget(url->second, "any");
    const std::vector<std::string> names = postgresDatabases(target);
    // Every DROP DATABASE waits for a checkpoint of its own when issued one
    // after another (about 1 s each under load, 9 per test). Issued side by
    // side, the server folds their checkpoint requests into one.
    std::vector<std::jthread> drops;  // joined even if starting one throws
    drops.reserve(names.size());
    for (const std::string& name : names) {
      drops.emplace_back([&target, name] {
        try {
          sql::PostgresConnection admin(target, "postgres");
          admin.exec("DROP DATABASE IF EXISTS " + sql::quoteIdentifier(name) + " WITH (FORCE)",
                     "DROP DATABASE");
        } catch (const std::exception& error) {
          std::fprintf(stderr, "releaseBackend: could not drop %s: %s\n", name.c_str(),
                       error.what());
        }
      });
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "releaseBackend: could not drop the test's databases: %s\n", error.what());
  }
}

std::map<std::string, std::uint16_t> readPortFile(const std::filesystem::path& file) {
  std::map<std::string, std::uint16_t> ports;
  std::ifstream in(file);
  std::string name;
  unsigned port = 0;
  while (in >> name >> port) ports[name] = static_cast<std::uint16_t>(port);
  return ports;
}

ServeProcess startServe(const std::string& binary, const std::vector<std::string>& extra_args,
                        const std::map<std::string, std::string>& env,
                        std::chrono::milliseconds timeout) {
  const auto port_file =
      std::filesystem::temp_directory_path() / ("emporium-ports-" + randomSuffix());
  std::vector<std::string> args{binary,        "serve",       "--listen",
                                "127.0.0.1:0", "--port-file", port_file.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  ServeProcess served;
  served.child = std::make_unique<ChildProcess>(args, env);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // The file appears (whole: it is renamed into place) once every listener
  // serves; a child that exits first will never write it.
  while (std::chrono::steady_clock::now() < deadline && served.child->running()) {
    served.ports = readPortFile(port_file);
    if (!served.ports.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::filesystem::remove(port_file);
  const auto shop = served.ports.find("shop");
  const auto port = shop != served.ports.end() ? shop->second
                    : served.ports.empty()     ? std::uint16_t{0}
                                               : served.ports.begin()->second;
  const auto left = deadline - std::chrono::steady_clock::now();
  if (port != 0 &&
      waitForHealthy(port, std::chrono::duration_cast<std::chrono::milliseconds>(left))) {
    served.port = port;
  }
  return served;
}

ClosedPort::ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  if (fd_ < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot bind a loopback port");
  }
  port_ = ntohs(addr.sin_port);
}

ClosedPort::~ClosedPort() { ::close(fd_); }

std::uint16_t candidatePort() {
  // Below 32768 (ip_local_port_range's start) and above the test servers'
  // fixed bases (scripts/test-servers.sh, 12525-17772).
  thread_local std::mt19937 gen(std::random_device{}());
  return static_cast<std::uint16_t>(std::uniform_int_distribution<int>(20000, 32000)(gen));
}

bool waitForHealthy(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (httpRequest(port, "GET", "/healthz").status == 200) return true;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace emporium::test
