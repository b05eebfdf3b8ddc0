#include "core/util/postal_address.hpp"

#include <cctype>
#include <cstddef>

#include "core/json/utf8.hpp"

namespace emporium::util {
namespace {

// Decodes one code point of valid UTF-8 starting at text[i]; advances i.
char32_t nextCodePoint(std::string_view text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return text[i++];
  const int extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : 1;
  char32_t cp = b0 & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

// Characters that make text deceive or break a page: C0/C1 controls and
// bidirectional overrides ("evil\u202Egnp.exe").
bool isForbidden(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// Space and zero-width characters: text made only of these shows nothing.
bool isInvisible(char32_t cp) {
  return cp == ' ' || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200F) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 || cp == 0x3000 ||
         cp == 0xFEFF;
}

// One free-text field of an address: required or not, bounded, shown to people.
void checkLine(std::vector<AddressProblem>& out, const char* field,
               const std::optional<std::string>& value, std::size_t max, bool required) {
  if (!value || value->empty()) {
    if (required) out.push_back({field, "is required"});
    return;
  }
  if (value->size() > max) {
    out.push_back({field, "must be at most " + std::to_string(max) + " bytes"});
  } else if (auto problem = displayTextProblem(*value)) {
    out.push_back({field, std::move(*problem)});
  } else if (value->find_first_of("<>") != std::string::npos) {
    // No address has them; a "<script>" in one reaches every page and mail it is shown in.
    out.push_back({field, "must not contain < or >"});
  }
}

}  // namespace

std::optional<std::string> displayTextProblem(std::string_view text) {
  if (!json::isValidUtf8(text)) return "must be valid UTF-8";
  bool visible = false;
  for (std::size_t i = 0; i < text.size();) {
    const char32_t cp = nextCodePoint(text, i);
    if (isForbidden(cp)) return "must not contain control or text-direction characters";
    if (!isInvisible(cp)) visible = true;
  }
  if (!visible) return "must not be empty";
  return std::nullopt;
}

std::vector<AddressProblem> checkPostalAddress(PostalAddress& a) {
  constexpr std::size_t kLine = 200;
  constexpr std::size_t kPlace = 100;
  constexpr std::size_t kPostalCode = 20;
  std::vector<AddressProblem> out;
  checkLine(out, "name", a.name, kLine, true);
  checkLine(out, "line1", a.line1, kLine, true);
  checkLine(out, "line2", a.line2, kLine, false);
  checkLine(out, "city", a.city, kPlace, true);
  checkLine(out, "region", a.region, kPlace, false);
  checkLine(out, "postal_code", a.postal_code, kPostalCode, true);
  for (auto& c : a.country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (a.country.empty()) {
    out.push_back({"country", "is required"});
  } else if (a.country.size() != 2 || !std::isalpha(static_cast<unsigned char>(a.country[0])) ||
             !std::isalpha(static_cast<unsigned char>(a.country[1]))) {
    out.push_back({"country", "must be an ISO 3166-1 alpha-2 code such as \"DE\""});
  }
  return out;
}

}  // namespace emporium::util
