#pragma once
// An email as the notifications service composes it, and its RFC 5322 / MIME
// wire form. Pure functions: no I/O, unit-testable.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace emporium::notifications {

struct MailMessage {
  std::string from;        // "Shop Name <shop@example.com>" or a bare address
  std::string to;          // one recipient, same forms
  std::string subject;     // UTF-8; encoded as RFC 2047 when not plain ASCII
  std::string text;        // the text/plain part, UTF-8
  std::string html;        // the text/html part, UTF-8
  std::string message_id;  // without angle brackets: "evt_01J...-3f9a@emporium"
  /// Extra headers (name, value), e.g. {"X-Emporium-Event", "order.confirmed"}.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A header field or address that cannot be written without changing the
/// message's structure (a CR/LF in an address, a malformed header name).
class MimeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// The message as RFC 5322 text with CRLF line endings and no line over 998
/// octets: Date, From, To, Subject, Message-ID, MIME-Version, then a
/// multipart/alternative body with text/plain and text/html parts, both UTF-8
/// and quoted-printable. Free text in headers (subject, display names, extra
/// header values) has CR, LF and other controls replaced by spaces, so
/// user-supplied text can never add a header; addresses, the message id and
/// header names are checked instead and throw MimeError when they hold one.
std::string toMime(const MailMessage& message, std::chrono::system_clock::time_point date);

/// The bare address of "Name <addr>" or "addr" ("addr" in both cases), for
/// the SMTP envelope. Throws MimeError when it is empty or holds a control
/// character, a space or angle brackets.
std::string addressOf(std::string_view mailbox);

/// "Name <addr>" as MailMessage::from / to hold it (unencoded UTF-8), with
/// control characters in the name replaced by spaces; the bare address when
/// the name is empty.
std::string makeMailbox(std::string_view name, std::string_view address);

/// The wire form of a mailbox: the display name quoted or RFC 2047-encoded
/// as needed. An empty name gives the bare address.
std::string formatMailbox(std::string_view name, std::string_view address);

/// RFC 2047 "B" encoded-words for a header value that is not plain printable
/// ASCII; `value` as is otherwise. Encoded words are at most 75 octets, never
/// split a UTF-8 sequence, and are separated by CRLF SP (folding).
std::string encodeHeaderText(std::string_view value);

/// Quoted-printable (RFC 2045) of UTF-8 text: line breaks (LF or CRLF) become
/// CRLF, encoded lines are at most 76 octets.
std::string quotedPrintable(std::string_view text);

/// RFC 5322 date-time in UTC: "Thu, 26 Nov 2026 10:00:00 +0000".
std::string rfc5322Date(std::chrono::system_clock::time_point at);

}  // namespace emporium::notifications
