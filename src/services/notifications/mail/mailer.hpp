#pragma once
// Where composed mail goes: an SMTP server (libcurl) or a directory of .eml
// files (development, tests, and shops that hand mail to another tool).

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "services/notifications/mail/mail_message.hpp"

namespace emporium::notifications {

/// A message was not accepted. transient(): worth retrying later (timeout,
/// connection refused, a 4xx reply); otherwise retrying cannot help (a 5xx
/// reply such as an unknown mailbox, a malformed message).
class MailError : public std::runtime_error {
 public:
  MailError(const std::string& message, bool transient)
      : std::runtime_error(message), transient_(transient) {}
  bool transient() const noexcept { return transient_; }

 private:
  bool transient_;
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  /// Hands the message on; returns once it was accepted. Throws MailError.
  /// Thread-safe. Blocks: never call it on an event loop thread.
  virtual void send(const MailMessage& message) = 0;
};

/// Sends over SMTP with libcurl: smtp://host[:port][/ehlo-domain] or smtps://
/// (TLS from the first byte); user:password@ in the URL logs in. One easy
/// handle per mailer, reused under a mutex, so consecutive sends share the
/// connection curl keeps alive. `timeout` bounds each send, connect included.
class SmtpMailer final : public Mailer {
 public:
  SmtpMailer(std::string url, std::chrono::milliseconds timeout);
  ~SmtpMailer() override;
  SmtpMailer(const SmtpMailer&) = delete;
  SmtpMailer& operator=(const SmtpMailer&) = delete;

  void send(const MailMessage& message) override;

 private:
  struct Handle;  // the CURL easy handle; keeps curl.h out of this header
  std::string url_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::unique_ptr<Handle> handle_;  // guarded by mutex_
};

/// Writes each message to <dir>/<message id, made filename-safe>.eml, with
/// CRLF line endings as on the wire. The write is atomic (a temporary file,
/// fsync, rename, fsync of the directory), so a reader never sees half a
/// message and sending the same message again leaves one file.
class FileMailer final : public Mailer {
 public:
  /// Creates `dir` when missing.
  explicit FileMailer(std::filesystem::path dir);
  void send(const MailMessage& message) override;
  /// The file a message is (or would be) written to.
  std::filesystem::path pathFor(const MailMessage& message) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace emporium::notifications
