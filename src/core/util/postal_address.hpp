#pragma once
// The one rule for postal addresses: an address saved to an account and one
// typed at checkout pass the same checks, since both end up in mail, on
// labels and in the admin's view. Free text is shown to people, so besides
// bounds it refuses what deceives or breaks a page: control and
// text-direction characters (U+202E), text that shows nothing, and markup.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emporium::util {

struct PostalAddress {
  std::string name;
  std::string line1;
  std::optional<std::string> line2;
  std::string city;
  std::optional<std::string> region;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2, upper case once checked
};

/// A problem of one field, named as in the address object ("line1"):
/// callers prefix it where the address sits in their body.
struct AddressProblem {
  std::string field;
  std::string message;  // phrased to follow the field name ("must ...")
};

/// Every problem of the address, in field order; empty when it is fine.
/// Upper-cases country in place first (it is matched case-insensitively).
std::vector<AddressProblem> checkPostalAddress(PostalAddress& address);

/// Why text shown to people is not usable ("must ..."), nullopt when it is:
/// valid UTF-8, no C0/C1 control or bidirectional-override characters, not
/// only spaces and zero-width characters. Bounds are the caller's.
std::optional<std::string> displayTextProblem(std::string_view text);

}  // namespace emporium::util
