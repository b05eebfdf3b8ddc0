#include "services/users/remote_client.hpp"

#include <utility>

#include "core/json/wire.hpp"
#include "core/json/writer.hpp"
#include "services/users/http/wire.hpp"

namespace emporium::users {
RemoteClient::RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
                           std::chrono::milliseconds timeout)
    : caller_(http, "users", std::string(wire::kPrefix), std::move(urls), std::move(secret),
              timeout) {}

std::optional<std::string> RemoteClient::name(const std::string& user_id) {
  return caller_.read(
      caller_.expect("POST", "name", json::wire::objectWith("user_id", user_id), 200, true),
      [](const rapidjson::Value& root) -> std::optional<std::string> {
        if (json::wire::member(root, "name").IsNull()) return std::nullopt;
        return json::wire::stringOf(root, "name");
      });
}

std::optional<Recipient> RemoteClient::recipient(const std::string& user_id) {
  return caller_.read(
      caller_.expect("POST", "recipient", json::wire::objectWith("user_id", user_id), 200, true),
      [](const rapidjson::Value& root) -> std::optional<Recipient> {
        const auto& found = json::wire::member(root, "recipient");
        if (found.IsNull()) return std::nullopt;
        return wire::readRecipient(found, "recipient");
      });
}

std::vector<Recipient> RemoteClient::admins() {
  return caller_.read(
      caller_.expect("GET", "admins", "", 200, true), [](const rapidjson::Value& root) {
        std::vector<Recipient> admins;
        const auto& list = json::wire::requireArray(json::wire::member(root, "admins"), "admins");
        for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
          admins.push_back(wire::readRecipient(list[i], json::wire::at("admins", i)));
        }
        return admins;
      });
}

std::optional<util::PostalAddress> RemoteClient::address(const std::string& user_id,
                                                         const std::string& address_id) {
  json::Writer out;
  out.startObject().member("user_id", user_id).member("address_id", address_id).endObject();
  return caller_.read(caller_.expect("POST", "address", out.str(), 200, true),
                      [](const rapidjson::Value& root) -> std::optional<util::PostalAddress> {
                        const auto& found = json::wire::member(root, "address");
                        if (found.IsNull()) return std::nullopt;
                        return wire::readAddress(found, "address");
                      });
}

}  // namespace emporium::users
