#pragma once
// Binding a card token to the customer who tokenizes it, as a provider's
// "customer" on a payment method does. The shop hands a signed-in customer
// (or a guest cart) a tokenize URL carrying "<payer>.<mac>"; the provider
// checks the MAC with the secret it shares with the shop, keeps the payer on
// the token, and refuses a charge of that token for anyone else. The MAC is
// HMAC-SHA-256 keyed with SHA-256(secret), so nobody without the secret can
// make a binding for someone else.

#include <optional>
#include <string>
#include <string_view>

namespace emporium::payments {

/// "<payer>.<64 hex digits>".
std::string bindCustomer(std::string_view payer, std::string_view secret);

/// The payer a binding names, when it is well formed and its MAC is right.
std::optional<std::string> boundCustomer(std::string_view binding, std::string_view secret);

}  // namespace emporium::payments
