// SmtpMailer: libcurl's SMTP client, one easy handle reused across sends.

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "services/notifications/mail/mailer.hpp"

namespace emporium::notifications {
namespace {

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

// What the read callback uploads: the MIME text, consumed from the front.
struct Upload {
  std::string_view remaining;
};

size_t readUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->remaining.size());
  std::memcpy(buffer, upload->remaining.data(), n);
  upload->remaining.remove_prefix(n);
  return n;
}

// Whether trying again later can succeed. The server's reply decides when
// there was one (RFC 5321: 4xx is temporary, 5xx permanent); otherwise the
// transport error does.
bool isTransient(CURLcode rc, long smtp_code) {
  if (smtp_code >= 500) return false;
  if (smtp_code >= 400) return true;
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_AGAIN:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct SmtpMailer::Handle {
  CurlPtr curl{curl_easy_init(), &curl_easy_cleanup};
  char error[CURL_ERROR_SIZE] = {};
};

SmtpMailer::SmtpMailer(std::string url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout), handle_(std::make_unique<Handle>()) {
  if (!url_.starts_with("smtp://") && !url_.starts_with("smtps://")) {
    throw std::invalid_argument("mail URL must start with smtp:// or smtps://");
  }
  CURL* curl = handle_->curl.get();
  if (curl == nullptr) throw std::runtime_error("cannot create a curl handle");
  const long timeout_ms = static_cast<long>(timeout_.count());
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, handle_->error);
  // Without NOSIGNAL, curl's resolver timeouts use SIGALRM, which is not
  // safe in a multi-threaded process.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &readUpload);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
}

SmtpMailer::~SmtpMailer() = default;

void SmtpMailer::send(const MailMessage& message) {
  std::string mime;
  std::string from;
  std::string to;
  try {
    mime = toMime(message, std::chrono::system_clock::now());
    from = "<" + addressOf(message.from) + ">";
    to = "<" + addressOf(message.to) + ">";
  } catch (const MimeError& e) {
    throw MailError(std::string("cannot write the message: ") + e.what(), false);
  }

  const std::scoped_lock lock(mutex_);
  CURL* curl = handle_->curl.get();
  const SlistPtr recipients(curl_slist_append(nullptr, to.c_str()), &curl_slist_free_all);
  if (!recipients) throw MailError("out of memory building the recipient list", true);
  Upload upload{mime};
  handle_->error[0] = '\0';
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  // SIZE lets the server refuse an oversized message before the upload.
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mime.size()));
  const CURLcode rc = curl_easy_perform(curl);
  // The list and the upload die with this scope; the handle must not keep
  // pointers to them until the next send.
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, nullptr);
  curl_easy_setopt(curl, CURLOPT_READDATA, nullptr);
  if (rc == CURLE_OK) return;

  long smtp_code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code);
  std::string detail = handle_->error[0] != '\0' ? handle_->error : curl_easy_strerror(rc);
  if (smtp_code != 0) detail += " (SMTP " + std::to_string(smtp_code) + ")";
  throw MailError("SMTP send to " + to + " failed: " + detail, isTransient(rc, smtp_code));
}

}  // namespace emporium::notifications
