#pragma once
// Shared by the notifications tests: realistic events (orders rendered by the
// orders service's own renderer, so the payload is exactly what the API and
// the outbox carry) and a small reader for the MIME text toMime writes.

#include <string>
#include <string_view>

#include "core/events/event.hpp"
#include "services/orders/domain/order.hpp"
#include "services/orders/http/render.hpp"

namespace emporium::notifications::test {

/// Order ORD-1042 with two lines, EUR, shipped to Berlin.
inline orders::Order sampleOrder() {
  orders::Order o;
  o.id = "ord_01JDQ5M4W9K3ZB8X7Y6V5T4S3R";
  o.number = "ORD-1042";
  o.user_id = "usr_01JDQ5KZ0000000000000000";
  o.status = orders::OrderStatus::kConfirmed;
  o.currency = "EUR";
  o.totals = {5497, 499, 1044, 7040};
  o.payment_method = "card";
  o.payment_status = "captured";
  o.payment_id = "pay_01";
  o.shipping_address = {"Jürgen Müller", "Torstraße 12", "Hinterhaus", "Berlin",
                        std::nullopt,    "10119",        "DE"};
  o.created_at = "2026-11-26T10:00:00.000000Z";
  o.updated_at = o.created_at;
  o.item_count = 3;
  o.lines = {{"MUG-BLUE-350", 17, "Enamel mug <blue>", 2, 1299, 2598},
             {"TEE-ORG-M", 23, "Organic T-shirt, size M", 1, 2899, 2899}};
  return o;
}

inline events::Event orderEvent(std::string type, const orders::Order& order,
                                std::string id = "evt_01JDQ6A0000000000000000001") {
  return {std::move(id),
          std::move(type),
          1,
          "2026-11-26T10:00:00.123456Z",
          "orders",
          R"({"user_id":")" + order.user_id + R"(","order":)" + orders::renderOrder(order) + "}"};
}

inline events::Event registeredEvent(std::string id = "evt_01JDQ6A0000000000000000002") {
  return {
      std::move(id),
      "user.registered",
      1,
      "2026-11-26T10:00:00.123456Z",
      "users",
      R"({"user_id":"usr_01JDQ5KZ0000000000000000","email":"zoe@example.com","name":"Zoë Ångström"})"};
}

inline events::Event lowStockEvent(std::string id = "evt_01JDQ6A0000000000000000003") {
  return {std::move(id),
          "stock.low",
          1,
          "2026-11-26T10:00:00.123456Z",
          "inventory",
          R"({"sku":"MUG-BLUE-350","available":3,"threshold":5})"};
}

/// Quoted-printable decoding (soft breaks removed, CRLF kept).
inline std::string decodeQuotedPrintable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
    } else if (text.substr(i + 1, 2) == "\r\n") {
      i += 2;
    } else if (i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

/// The decoded body of the part whose Content-Type starts with `type`
/// ("text/plain"), or "" when there is none. Expects toMime's layout.
inline std::string mimePart(std::string_view mime, std::string_view type) {
  const auto header = mime.find("Content-Type: " + std::string(type));
  if (header == std::string_view::npos) return {};
  const auto body = mime.find("\r\n\r\n", header);
  const auto end = mime.find("\r\n--=_emporium_", body);
  if (body == std::string_view::npos || end == std::string_view::npos) return {};
  return decodeQuotedPrintable(mime.substr(body + 4, end + 2 - body - 4));
}

/// The value of the first header `name` (unfolded), or "".
inline std::string mimeHeader(std::string_view mime, std::string_view name) {
  const std::string head(mime.substr(0, mime.find("\r\n\r\n") + 2));
  const std::string key = std::string(name) + ": ";
  std::size_t pos = 0;
  while (pos < head.size()) {
    const auto eol = head.find("\r\n", pos);
    if (head.compare(pos, key.size(), key) == 0) {
      std::string value = head.substr(pos + key.size(), eol - pos - key.size());
      // Continuation lines start with a space.
      auto next = eol + 2;
      while (next < head.size() && head[next] == ' ') {
        const auto e = head.find("\r\n", next);
        value += head.substr(next, e - next);
        next = e + 2;
      }
      return value;
    }
    pos = eol + 2;
  }
  return {};
}

}  // namespace emporium::notifications::test
