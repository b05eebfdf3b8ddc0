#include "gateway/compression.hpp"

#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>

namespace emporium::gateway {
namespace {

std::string_view trimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool codingNamed(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ),
// in thousandths; nullopt for anything else ("nan", "1.5", "-1", "0.0001").
std::optional<int> qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  const int whole = text[0] - '0';
  text.remove_prefix(1);
  if (text.empty()) return whole * 1000;
  if (text[0] != '.' || text.size() > 4) return std::nullopt;
  int thousandths = 0;
  int scale = 100;
  for (const char c : text.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  if (whole == 1 && thousandths != 0) return std::nullopt;
  return whole * 1000 + thousandths;
}

// The q of an item's parameters ("q=0.8") in thousandths; 1000 when it names
// none, 0 when it is malformed (a coding is used only when plainly accepted).
int quality(std::string_view parameters) {
  while (!parameters.empty()) {
    const auto semicolon = parameters.find(';');
    const std::string_view parameter = trimOws(parameters.substr(0, semicolon));
    if (parameter.size() >= 2 && (parameter[0] == 'q' || parameter[0] == 'Q') &&
        parameter[1] == '=') {
      return qvalue(parameter.substr(2)).value_or(0);
    }
    if (semicolon == std::string_view::npos) break;
    parameters.remove_prefix(semicolon + 1);
  }
  return 1000;
}

// The q the field value gives `coding` (thousandths): its own item's, else
// "*"'s, else 0. "x-gzip" is gzip (RFC 9110 8.4.1.3).
int qualityOf(std::string_view accept_encoding, std::string_view coding) {
  std::optional<int> named;
  std::optional<int> any;
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view item = accept_encoding.substr(0, comma);
    const auto semicolon = item.find(';');
    const std::string_view token = trimOws(item.substr(0, semicolon));
    const int q = semicolon == std::string_view::npos ? 1000 : quality(item.substr(semicolon + 1));
    if (codingNamed(token, coding) || (coding == "gzip" && codingNamed(token, "x-gzip"))) {
      named = q;
    }
    if (token == "*") any = q;
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return named.value_or(any.value_or(0));
}

}  // namespace

Coding preferredCoding(std::string_view accept_encoding) {
  const int br = qualityOf(accept_encoding, "br");
  const int gz = qualityOf(accept_encoding, "gzip");
  if (br <= 0 && gz <= 0) return Coding::kIdentity;
  return br >= gz ? Coding::kBrotli : Coding::kGzip;
}

bool acceptsGzip(std::string_view accept_encoding) {
  return qualityOf(accept_encoding, "gzip") > 0;
}

std::optional<std::string> brotli(std::string_view data) {
  // Quality 4 with a 4 MiB window: JSON about a fifth smaller than gzip at
  // level 1 in a similar time; quality 11 (the default) takes ~50x as long.
  constexpr int kQuality = 4;
  constexpr int kWindowBits = 22;
  std::size_t size = BrotliEncoderMaxCompressedSize(data.size());
  if (size == 0) return std::nullopt;
  std::string out(size, '\0');
  if (BrotliEncoderCompress(kQuality, kWindowBits, BROTLI_MODE_TEXT, data.size(),
                            reinterpret_cast<const std::uint8_t*>(data.data()), &size,
                            reinterpret_cast<std::uint8_t*>(out.data())) != BROTLI_TRUE) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::optional<std::string> gzip(std::string_view data) {
  if (data.size() > std::numeric_limits<uInt>::max()) return std::nullopt;
  z_stream stream{};
  // 15 + 16: a gzip header and trailer around the deflate stream. Level 1:
  // most of the saving on JSON for a fraction of level 6's time.
  if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  // zlib's interface takes non-const input; it does not write to it.
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  const auto written = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

}  // namespace emporium::gateway
