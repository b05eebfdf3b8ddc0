#include "services/cart/remote_client.hpp"

#include <utility>

#include "core/json/writer.hpp"
#include "services/cart/http/wire.hpp"

namespace emporium::cart {

RemoteClient::RemoteClient(net::HttpClient& http, std::vector<std::string> urls, std::string secret,
                           std::chrono::milliseconds timeout)
    : caller_(http, "cart", std::string(wire::kPrefix), std::move(urls), std::move(secret),
              timeout) {}

std::optional<std::vector<CartLine>> RemoteClient::linesFor(const std::string& cart_id,
                                                            const std::string& user_id) {
  json::Writer out;
  out.startObject().member("cart_id", cart_id).member("user_id", user_id).endObject();
  const auto body = caller_.expect("POST", "lines", out.str(), 200, /*idempotent=*/true);
  return caller_.read(body,
                      [](const rapidjson::Value& root) -> std::optional<std::vector<CartLine>> {
                        const auto& lines = json::wire::member(root, "lines");
                        if (lines.IsNull()) return std::nullopt;
                        return wire::readLines(lines, "lines");
                      });
}

void RemoteClient::removeLines(const std::string& cart_id, const std::vector<CartLine>& lines) {
  json::Writer out;
  out.startObject().member("cart_id", cart_id).key("lines");
  wire::writeLines(out, lines);
  out.endObject();
  caller_.expect("POST", "remove-lines", out.str(), 204, /*idempotent=*/false);
}

}  // namespace emporium::cart
