#include "services/users/http/wire.hpp"

#include <optional>
#include <string>

namespace emporium::users::wire {
using json::wire::stringOf;

void writeRecipient(json::Writer& out, const Recipient& recipient) {
  out.startObject().member("email", recipient.email).member("name", recipient.name).endObject();
}

Recipient readRecipient(const rapidjson::Value& object, std::string_view field) {
  return Recipient{stringOf(object, "email", field), stringOf(object, "name", field)};
}

void writeAddress(json::Writer& out, const util::PostalAddress& address) {
  out.startObject().member("name", address.name).member("line1", address.line1);
  if (address.line2) out.member("line2", *address.line2);
  out.member("city", address.city);
  if (address.region) out.member("region", *address.region);
  out.member("postal_code", address.postal_code).member("country", address.country).endObject();
}

util::PostalAddress readAddress(const rapidjson::Value& object, std::string_view field) {
  util::PostalAddress address;
  address.name = stringOf(object, "name", field);
  address.line1 = stringOf(object, "line1", field);
  address.line2 = json::wire::optionalStringOf(object, "line2", field);
  address.city = stringOf(object, "city", field);
  address.region = json::wire::optionalStringOf(object, "region", field);
  address.postal_code = stringOf(object, "postal_code", field);
  address.country = stringOf(object, "country", field);
  return address;
}

}  // namespace emporium::users::wire
