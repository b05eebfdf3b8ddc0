#pragma once
// The one rule for e-mail addresses: sign-up accepts exactly the addresses
// the mailer can put in a From/To header and an SMTP envelope, so no account
// is made with an address that can never get mail.

#include <optional>
#include <string>
#include <string_view>

namespace emporium::util {

/// Why `address` (a bare addr-spec, no display name) is not usable, phrased
/// to follow a field name ("must ..."); nullopt when it is. The rule: one
/// '@'; a local part of 1-64 bytes and a domain with a dot, neither starting
/// or ending with '.' nor holding "..", nor a space, control character or
/// one of ()<>[]:;@\," (which would need quoting that no mailbox we send to
/// uses); at most 254 bytes. Bytes above 0x7F (UTF-8) are allowed.
std::optional<std::string> emailAddressProblem(std::string_view address);

}  // namespace emporium::util
