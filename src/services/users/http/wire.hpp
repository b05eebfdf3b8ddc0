#pragma once
// The JSON both ends of the users service's internal routes read and write:
// internal_routes.cpp answers in it and RemoteClient calls in it, so the two
// cannot drift apart.

#include <rapidjson/document.h>

#include <string_view>

#include "core/json/wire.hpp"
#include "core/json/writer.hpp"
#include "core/util/postal_address.hpp"
#include "services/users/client.hpp"

namespace emporium::users::wire {

/// The internal routes' prefix: POST <prefix>/{name,recipient,address},
/// GET <prefix>/admins.
inline constexpr std::string_view kPrefix = "/internal/v1/users";

/// {"email","name"}
void writeRecipient(json::Writer& out, const Recipient& recipient);
Recipient readRecipient(const rapidjson::Value& object, std::string_view field);

/// {"name","line1","line2"?,"city","region"?,"postal_code","country"}
void writeAddress(json::Writer& out, const util::PostalAddress& address);
util::PostalAddress readAddress(const rapidjson::Value& object, std::string_view field);

}  // namespace emporium::users::wire
