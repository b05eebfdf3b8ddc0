#include "core/http/pagination.hpp"

#include <sodium.h>

#include <charconv>
#include <vector>

#include "core/http/api_error.hpp"
#include "core/json/utf8.hpp"

namespace emporium::http {
namespace {
// Marks cursors as ours, so a cursor from elsewhere is refused, not misread.
constexpr std::string_view kCursorTag = "c1:";
constexpr std::size_t kMaxCursorBytes = 1024;
}  // namespace

std::size_t pageLimit(const Request& req) {
  const auto raw = req.queryParam("limit");
  if (!raw) return kDefaultPageSize;
  std::size_t limit = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), limit);
  if (ec != std::errc{} || end != raw->data() + raw->size() || limit < 1 || limit > kMaxPageSize) {
    throw ApiError::validation("limit", "must be an integer from 1 to 100");
  }
  return limit;
}

std::string encodeCursor(std::string_view position) {
  const std::string tagged = std::string(kCursorTag) + std::string(position);
  std::string out(
      sodium_base64_ENCODED_LEN(tagged.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(tagged.data()),
                    tagged.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

std::optional<std::string> pageCursor(const Request& req) {
  const auto raw = req.queryParam("cursor");
  if (!raw || raw->empty()) return std::nullopt;
  const auto invalid = [] {
    return ApiError::validation("cursor", "is not a cursor this API returned");
  };
  if (raw->size() > kMaxCursorBytes) throw invalid();
  std::vector<unsigned char> decoded(raw->size());
  std::size_t length = 0;
  if (sodium_base642bin(decoded.data(), decoded.size(), raw->data(), raw->size(), nullptr, &length,
                        nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    throw invalid();
  }
  const std::string text(reinterpret_cast<const char*>(decoded.data()), length);
  if (!text.starts_with(kCursorTag) || !json::isValidUtf8(text) ||
      text.find('\0') != std::string::npos) {
    throw invalid();
  }
  return text.substr(kCursorTag.size());
}

}  // namespace emporium::http
