#pragma once
// Reading one option's text: numbers, booleans, lists, URLs, listen
// addresses and secrets. Each returns false or nullopt for a value it does
// not accept; config.cpp turns that into a ConfigError naming the option.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emporium::config::values {

/// A decimal integer in [min, max], the whole text.
bool parseUnsigned(const std::string& text, std::uint64_t min, std::uint64_t max,
                   std::uint64_t& out);
/// true/1/on/yes or false/0/off/no, any case.
std::optional<bool> parseBool(std::string text);
/// "a, b,c" -> {"a", "b", "c"}, blanks dropped.
std::vector<std::string> commaList(const std::string& text);
/// http(s)://host[:port] with nothing after it but an optional '/': a
/// service's base URL or a browser origin.
bool originUrl(const std::string& url);
/// HOST:PORT ("[::1]:80" too; "localhost" reads as 127.0.0.1).
bool parseHostPort(const std::string& v, std::string& host_out, std::uint16_t& port_out);
bool loopbackHost(std::string_view host);
/// A secret sent in a header: visible ASCII only, min_size to 200 characters.
bool headerSecret(const std::string& v, std::size_t min_size);

}  // namespace emporium::config::values
