#include "services/notifications/mail/mailer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <system_error>

namespace emporium::notifications {
namespace {

// Closes a POSIX file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  /// Closes now, reporting the error close() can return (delayed write errors).
  int release() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  const int error = errno;
  // Disk full, a read-only remount, a permission fixed by an operator: all
  // can clear up, so the event is worth retrying.
  throw MailError(what + " " + path.string() + ": " + std::generic_category().message(error), true);
}

void writeAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string randomSuffix() {
  std::random_device random;
  return std::to_string(random()) + std::to_string(random());
}

}  // namespace

FileMailer::FileMailer(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) {
    throw MailError("cannot create mail directory " + dir_.string() + ": " + error.message(),
                    false);
  }
}

std::filesystem::path FileMailer::pathFor(const MailMessage& message) const {
  // Only characters that are safe in a file name on every filesystem; the
  // id is ours (event id + recipient hash), so this stays unique.
  std::string name;
  for (const char c : message.message_id) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '@';
    name += safe ? c : '_';
  }
  if (name.empty() || name.front() == '.') name.insert(0, "m");
  return dir_ / (name + ".eml");
}

void FileMailer::send(const MailMessage& message) {
  std::string mime;
  try {
    mime = toMime(message, std::chrono::system_clock::now());
  } catch (const MimeError& e) {
    throw MailError(std::string("cannot write the message: ") + e.what(), false);
  }
  const std::filesystem::path target = pathFor(message);
  // A dot file: mail tools watching the directory skip it until the rename.
  const std::filesystem::path temp =
      dir_ / ("." + target.filename().string() + ".tmp" + randomSuffix());
  {
    Fd file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
    if (file.get() < 0) fail("cannot create", temp);
    try {
      writeAll(file.get(), mime, temp);
      if (::fsync(file.get()) != 0) fail("cannot fsync", temp);
      if (file.release() != 0) fail("cannot close", temp);
    } catch (...) {
      ::unlink(temp.c_str());
      throw;
    }
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    errno = error;
    fail("cannot rename into", target);
  }
  // The rename is durable only once the directory entry is on disk.
  const Fd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) fail("cannot fsync", dir_);
}

}  // namespace emporium::notifications
