#include "services/notifications/mail/mail_message.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "core/util/email_address.hpp"

namespace emporium::notifications {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kQpLineLimit = 76;
// "=?UTF-8?B?" + "?=" around at most 60 base64 characters keeps every
// encoded-word within RFC 2047's 75 octets.
constexpr std::size_t kEncodedWordBytes = 45;
constexpr std::size_t kPlainHeaderLimit = 76;

bool isControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

// Free text from users (a name, a product title) must never break a header
// line: every control character becomes a space.
std::string sanitizeText(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (isControl(static_cast<unsigned char>(c))) c = ' ';
  }
  return out;
}

bool isPlainAscii(std::string_view value) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return false;
  }
  return true;
}

std::string trim(std::string_view value) {
  const auto first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = value.find_last_not_of(" \t");
  return std::string(value.substr(first, last - first + 1));
}

std::string base64(std::string_view bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
        static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// FNV-1a: a stable hash (std::hash may differ between builds) for boundaries.
std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::string hex64(std::uint64_t value) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[value & 0xF];
    value >>= 4;
  }
  return out;
}

// A token that is structural (an address, a message id): refused rather than
// repaired, because a silently changed address would send mail elsewhere.
void checkToken(std::string_view value, std::string_view what) {
  if (value.empty()) throw MimeError(std::string(what) + " is empty");
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (isControl(u) || c == ' ' || c == '<' || c == '>') {
      throw MimeError(std::string(what) + " holds a control character, space or angle bracket");
    }
  }
}

struct Mailbox {
  std::string name;
  std::string address;
};

Mailbox parseMailbox(std::string_view mailbox) {
  const auto open = mailbox.rfind('<');
  if (open == std::string_view::npos) return {{}, addressOf(mailbox)};
  std::string name = trim(mailbox.substr(0, open));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  return {name, addressOf(mailbox)};
}

bool isAtomText(std::string_view value) {
  static constexpr std::string_view kSpecials = "()<>[]:;@\\,.\"";
  for (const char c : value) {
    if (kSpecials.find(c) != std::string_view::npos) return false;
  }
  return true;
}

void appendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append(kCrlf);
}

void checkHeaderName(std::string_view name) {
  if (name.empty()) throw MimeError("a header name is empty");
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == ':') throw MimeError("header name '" + std::string(name) + "'");
  }
  // The fields toMime writes itself: a second copy would be ambiguous.
  static constexpr std::array<std::string_view, 9> kReserved = {
      "date", "from", "to", "subject", "message-id", "mime-version", "cc", "bcc", "sender"};
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto reserved : kReserved) {
    if (lower == reserved) throw MimeError("header '" + std::string(name) + "' is set by toMime");
  }
  if (lower.starts_with("content-")) {
    throw MimeError("header '" + std::string(name) + "' is set by toMime");
  }
}

void appendPart(std::string& out, std::string_view boundary, std::string_view type,
                std::string_view body) {
  out.append("--").append(boundary).append(kCrlf);
  appendHeader(out, "Content-Type", std::string(type) + "; charset=UTF-8");
  appendHeader(out, "Content-Transfer-Encoding", "quoted-printable");
  out.append(kCrlf);
  const std::string encoded = quotedPrintable(body);
  out.append(encoded);
  if (!encoded.ends_with(kCrlf)) out.append(kCrlf);
}

}  // namespace

std::string addressOf(std::string_view mailbox) {
  std::string address;
  const auto open = mailbox.rfind('<');
  if (open == std::string_view::npos) {
    address = trim(mailbox);
  } else {
    const auto close = mailbox.find('>', open);
    if (close == std::string_view::npos) throw MimeError("unclosed '<' in a mailbox");
    address = trim(mailbox.substr(open + 1, close - open - 1));
    if (!trim(mailbox.substr(close + 1)).empty()) throw MimeError("text after '>' in a mailbox");
    // The display name is free text, but a line break there is an attempt
    // to inject a header, not a name.
    for (const char c : mailbox.substr(0, open)) {
      if (c == '\r' || c == '\n') throw MimeError("a line break in a display name");
    }
  }
  checkToken(address, "an address");
  // The rule sign-up applies: an address refused here was never accepted there.
  if (const auto why = util::emailAddressProblem(address)) {
    throw MimeError("the address '" + address + "' " + *why);
  }
  return address;
}

std::string encodeHeaderText(std::string_view value) {
  std::string clean = sanitizeText(value);
  if (isPlainAscii(clean) && clean.size() <= kPlainHeaderLimit &&
      clean.find("=?") == std::string::npos) {
    return clean;
  }
  std::string out;
  std::size_t start = 0;
  while (start < clean.size()) {
    std::size_t end = std::min(clean.size(), start + kEncodedWordBytes);
    // Back off to a UTF-8 lead byte so no character is split across words.
    while (end < clean.size() && end > start + 1 &&
           (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!out.empty()) out.append("\r\n ");
    out.append("=?UTF-8?B?").append(base64(std::string_view(clean).substr(start, end - start)));
    out.append("?=");
    start = end;
  }
  return out;
}

std::string makeMailbox(std::string_view name, std::string_view address) {
  const std::string clean = trim(sanitizeText(name));
  if (clean.empty()) return std::string(address);
  return clean + " <" + std::string(address) + ">";
}

std::string formatMailbox(std::string_view name, std::string_view address) {
  const std::string clean = trim(sanitizeText(name));
  if (clean.empty()) return std::string(address);
  std::string phrase;
  if (!isPlainAscii(clean) || clean.find("=?") != std::string::npos) {
    phrase = encodeHeaderText(clean);
  } else if (isAtomText(clean)) {
    phrase = clean;
  } else {
    phrase = "\"";
    for (const char c : clean) {
      if (c == '"' || c == '\\') phrase += '\\';
      phrase += c;
    }
    phrase += '"';
  }
  return phrase + " <" + std::string(address) + ">";
}

std::string quotedPrintable(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    auto line_end = text.find('\n', line_start);
    const bool last = line_end == std::string_view::npos;
    if (last) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      const bool trailing_space = (c == ' ' || c == '\t') && i + 1 == line.size();
      // A leading '.' would end the DATA phase on a relay that forgets dot
      // stuffing; "From " at the start of a line gets mangled by mbox tools.
      const bool risky_start = i == 0 && (c == '.' || (c == 'F' && line.starts_with("From ")));
      const bool literal = !trailing_space && !risky_start &&
                           ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t');
      const std::size_t width = literal ? 1 : 3;
      if (column + width > kQpLineLimit - 1) {
        out.append("=\r\n");
        column = 0;
      }
      if (literal) {
        out += static_cast<char>(c);
      } else {
        out += '=';
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
      column += width;
    }
    if (last) break;
    out.append(kCrlf);
    line_start = line_end + 1;
  }
  return out;
}

std::string rfc5322Date(std::chrono::system_clock::time_point at) {
  static constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                            "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 32> clock{};
  std::snprintf(clock.data(), clock.size(), "%02d %s %04d %02d:%02d:%02d +0000", tm.tm_mday,
                std::string(kMonths.at(static_cast<std::size_t>(tm.tm_mon))).c_str(),
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(kDays.at(static_cast<std::size_t>(tm.tm_wday))) + ", " + clock.data();
}

std::string toMime(const MailMessage& message, std::chrono::system_clock::time_point date) {
  const Mailbox from = parseMailbox(message.from);
  const Mailbox to = parseMailbox(message.to);
  checkToken(message.message_id, "the message id");
  if (message.message_id.find('@') == std::string::npos) {
    throw MimeError("the message id has no '@'");
  }
  // "=_" never occurs in quoted-printable output, so the boundary cannot
  // collide with either part whatever the text holds.
  const std::string boundary = "=_emporium_" + hex64(fnv1a(message.message_id));

  std::string out;
  out.reserve(message.text.size() + message.html.size() + 1024);
  appendHeader(out, "Date", rfc5322Date(date));
  appendHeader(out, "From", formatMailbox(from.name, from.address));
  appendHeader(out, "To", formatMailbox(to.name, to.address));
  appendHeader(out, "Subject", encodeHeaderText(message.subject));
  appendHeader(out, "Message-ID", "<" + message.message_id + ">");
  appendHeader(out, "MIME-Version", "1.0");
  for (const auto& [name, value] : message.headers) {
    checkHeaderName(name);
    appendHeader(out, name, encodeHeaderText(value));
  }
  appendHeader(out, "Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
  out.append(kCrlf);
  out.append("This is a multi-part message in MIME format.").append(kCrlf).append(kCrlf);
  appendPart(out, boundary, "text/plain", message.text);
  appendPart(out, boundary, "text/html", message.html);
  out.append("--").append(boundary).append("--").append(kCrlf);
  return out;
}

}  // namespace emporium::notifications
