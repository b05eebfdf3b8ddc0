#include "services/users/http/wire.hpp"

#include <optional>
#include <string>

namespace emporium::users::wire {
namespace {

using json::wire::stringOf;

std::optional<std::string> optionalString(const rapidjson::Value& object, std::string_view name,
                                          std::string_view field) {
  if (!object.IsObject()) return std::nullopt;
  const auto found = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  if (found == object.MemberEnd() || found->value.IsNull()) return std::nullopt;
  return stringOf(object, name, field);
}

}  // namespace

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
  address.line2 = optionalString(object, "line2", field);
  address.city = stringOf(object, "city", field);
  address.region = optionalString(object, "region", field);
  address.postal_code = stringOf(object, "postal_code", field);
  address.country = stringOf(object, "country", field);
  return address;
}

}  // namespace emporium::users::wire
