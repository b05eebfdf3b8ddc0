#include "core/sql/sqlite_database.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "core/sql/retry.hpp"

namespace emporium::sql {
namespace {

class SqliteSession final : public Session {
 public:
  explicit SqliteSession(SqliteConnection& connection) : connection_(connection) {}

  using Session::execute;
  Dialect dialect() const noexcept override { return Dialect::kSqlite; }
  Result execute(const Query& query, std::span<const Param> params) override {
    return connection_.execute(query, params);
  }
  void executeScript(std::string_view sql) override { connection_.exec(sql, "script"); }
  void insertRows(std::string_view table, std::span<const std::string_view> columns,
                  std::span<const Param> values) override {
    connection_.insertRows(table, columns, values);
  }

 private:
  SqliteConnection& connection_;
};

// Runs fn in a transaction that `begin` opened: COMMIT when it returns,
// ROLLBACK and rethrow when it (or the COMMIT) throws.
void runTransaction(SqliteConnection& connection, std::string_view begin,
                    const std::function<void(Session&)>& fn) {
  connection.rollbackIfOpen();  // a no-op unless an earlier ROLLBACK failed
  connection.exec(begin, begin);
  try {
    SqliteSession session(connection);
    fn(session);
    connection.exec("COMMIT", "COMMIT");
  } catch (...) {
    connection.rollbackIfOpen();
    throw;
  }
}

std::filesystem::path databasePath(const DatabaseOptions& options) {
  const bool valid = !options.service.empty() &&
                     std::all_of(options.service.begin(), options.service.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '_' || c == '-';
                     });
  if (!valid) {
    throw Error(ErrorKind::kConnection,
                "invalid service name '" + options.service + "' (use letters, digits, _ and -)");
  }
  const std::filesystem::path dir(options.data_dir.empty() ? "." : options.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw Error(ErrorKind::kConnection,
                "cannot create data directory " + dir.string() + ": " + ec.message());
  }
  // The databases hold password hashes and (unless sealed) signing keys:
  // nobody but the owner reads them, whatever the umask. The working
  // directory itself is not ours to change.
  if (!options.data_dir.empty() && options.data_dir != ".") {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  return dir / (options.service + ".db");
}

// Creates the database file owner-only before SQLite does (SQLite gives its
// -wal and -shm files the database file's mode), and tightens files an older
// version left readable to others.
void restrictDatabaseFiles(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    std::filesystem::permissions(
        std::filesystem::path(path.string() + suffix),
        std::filesystem::perms::group_all | std::filesystem::perms::others_all,
        std::filesystem::perm_options::remove, ec);
  }
}

}  // namespace

// Borrows an idle reader for one read(), waiting at most busy_timeout.
class SqliteDatabase::ReaderLease {
 public:
  explicit ReaderLease(SqliteDatabase& db) : db_(db) {
    std::unique_lock lock(db_.readers_mutex_);
    if (db_.idle_readers_.empty()) {
      ++db_.readers_waiting_;
      const bool ready = db_.readers_cv_.wait_for(lock, db_.busy_timeout_,
                                                  [this] { return !db_.idle_readers_.empty(); });
      --db_.readers_waiting_;
      if (!ready) {
        throw Error(ErrorKind::kBusy, "sqlite " + db_.path_.string() + ": no reader free after " +
                                          std::to_string(db_.busy_timeout_.count()) + " ms");
      }
    }
    connection_ = db_.idle_readers_.back();
    db_.idle_readers_.pop_back();
  }
  ~ReaderLease() {
    {
      const std::lock_guard lock(db_.readers_mutex_);
      db_.idle_readers_.push_back(connection_);
    }
    db_.readers_cv_.notify_one();
  }
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;

  SqliteConnection& connection() const noexcept { return *connection_; }

 private:
  SqliteDatabase& db_;
  SqliteConnection* connection_ = nullptr;
};

// The writer connection for one write(), waiting at most busy_timeout.
// (A mutex and condition variable rather than std::timed_mutex: ThreadSanitizer
// in GCC 12 misreads timed_mutex's try_lock_for.)
class SqliteDatabase::WriterTurn {
 public:
  explicit WriterTurn(SqliteDatabase& db) : db_(db) {
    std::unique_lock lock(db_.writer_mutex_);
    if (db_.writer_thread_ == std::this_thread::get_id()) {
      throw Error(ErrorKind::kOther, "write() called inside write() on the same thread");
    }
    ++db_.writers_waiting_;
    const bool free = db_.writer_free_.wait_for(
        lock, db_.busy_timeout_, [this] { return db_.writer_thread_ == std::thread::id{}; });
    --db_.writers_waiting_;
    if (!free) {
      throw Error(ErrorKind::kBusy, "sqlite " + db_.path_.string() + ": writer still busy after " +
                                        std::to_string(db_.busy_timeout_.count()) + " ms");
    }
    db_.writer_thread_ = std::this_thread::get_id();
  }
  ~WriterTurn() {
    {
      const std::lock_guard lock(db_.writer_mutex_);
      db_.writer_thread_ = std::thread::id{};
    }
    db_.writer_free_.notify_one();
  }
  WriterTurn(const WriterTurn&) = delete;
  WriterTurn& operator=(const WriterTurn&) = delete;

 private:
  SqliteDatabase& db_;
};

SqliteDatabase::SqliteDatabase(const DatabaseOptions& options)
    : path_(databasePath(options)), busy_timeout_(options.busy_timeout) {
  restrictDatabaseFiles(path_);
  // The writer first: it switches the file to WAL before any reader opens it.
  writer_ =
      std::make_unique<SqliteConnection>(path_, SqliteConnection::Role::kWriter, busy_timeout_);
  const std::size_t reader_count = std::max<std::size_t>(options.pool_size, 1);
  readers_.reserve(reader_count);
  for (std::size_t i = 0; i < reader_count; ++i) {
    readers_.push_back(
        std::make_unique<SqliteConnection>(path_, SqliteConnection::Role::kReader, busy_timeout_));
    idle_readers_.push_back(readers_.back().get());
  }
}

SqliteDatabase::~SqliteDatabase() = default;

void SqliteDatabase::runWrite(const std::function<void(Session&)>& fn) {
  // SQLite itself never reports kSerializationFailure; fn may, and gets the
  // same retries as on PostgreSQL.
  for (int attempt = 1;; ++attempt) {
    if (attempt > 1) backOffBeforeAttempt(attempt);
    try {
      const WriterTurn turn(*this);
      // IMMEDIATE takes the write lock up front, so another process's writer
      // makes us wait (busy_timeout) here rather than fail half-way through.
      runTransaction(*writer_, "BEGIN IMMEDIATE", fn);
      return;
    } catch (const Error& error) {
      if (error.kind() != ErrorKind::kSerializationFailure || attempt >= kMaxWriteAttempts) throw;
    }
  }
}

void SqliteDatabase::runRead(const std::function<void(Session&)>& fn) {
  const ReaderLease lease(*this);
  runTransaction(lease.connection(), "BEGIN", fn);
}

void SqliteDatabase::ping() {
  read([](Session& session) { session.execute(Query{"emporium.ping", "SELECT 1"}); });
}

PoolStats SqliteDatabase::poolStats() const {
  PoolStats stats;
  {
    const std::lock_guard lock(readers_mutex_);
    stats.size = readers_.size() + 1;
    stats.in_use = readers_.size() - idle_readers_.size();
    stats.waiting = readers_waiting_;
  }
  const std::lock_guard lock(writer_mutex_);
  if (writer_thread_ != std::thread::id{}) ++stats.in_use;
  stats.waiting += writers_waiting_;
  return stats;
}

std::string SqliteDatabase::describe() const { return "sqlite:" + path_.string(); }

}  // namespace emporium::sql
