#pragma once

#include <cstddef>
#include <string_view>

namespace emporium::users {

/// True when password (case-insensitively) is one of the most common ones.
bool isCommonPassword(std::string_view password);
std::size_t commonPasswordCount();

}  // namespace emporium::users
