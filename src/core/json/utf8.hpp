#pragma once

#include <string>
#include <string_view>

namespace emporium::json {

/// True when text is well-formed UTF-8 (no overlongs, surrogates or bytes past U+10FFFF).
bool isValidUtf8(std::string_view text);

/// text with every ill-formed sequence replaced by U+FFFD, so that client
/// bytes echoed into a JSON document can never make it invalid.
std::string sanitizeUtf8(std::string_view text);

}  // namespace emporium::json
