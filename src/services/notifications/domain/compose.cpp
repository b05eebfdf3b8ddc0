#include "services/notifications/domain/compose.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "services/notifications/domain/money.hpp"

namespace emporium::notifications {
namespace {

using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

constexpr int kSupportedVersion = 1;
constexpr std::string_view kMessageIdDomain = "emporium";

rapidjson::Document parsePayload(const events::Event& event) {
  if (event.version != kSupportedVersion) {
    throw PayloadError(event.type + " version " + std::to_string(event.version) +
                       " is not supported (1 is)");
  }
  rapidjson::Document doc;
  doc.Parse(event.payload.data(), event.payload.size());
  if (doc.HasParseError()) {
    throw PayloadError(event.type +
                       " payload is not JSON: " + rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) throw PayloadError(event.type + " payload is not an object");
  return doc;
}

// Typed access to payload members; errors name the member's path.
const Value& member(const Value& object, std::string_view name, std::string_view path) {
  const auto it =
      object.FindMember(Value(name.data(), static_cast<rapidjson::SizeType>(name.size())));
  if (it == object.MemberEnd()) throw PayloadError("payload lacks " + std::string(path));
  return it->value;
}

std::string requireString(const Value& object, std::string_view name, std::string_view path) {
  const Value& v = member(object, name, path);
  if (!v.IsString()) throw PayloadError(std::string(path) + " is not a string");
  return {v.GetString(), v.GetStringLength()};
}

std::string optionalString(const Value& object, std::string_view name, std::string_view path) {
  const auto it =
      object.FindMember(Value(name.data(), static_cast<rapidjson::SizeType>(name.size())));
  if (it == object.MemberEnd() || it->value.IsNull()) return {};
  if (!it->value.IsString()) throw PayloadError(std::string(path) + " is not a string");
  return {it->value.GetString(), it->value.GetStringLength()};
}

std::int64_t requireInt(const Value& object, std::string_view name, std::string_view path) {
  const Value& v = member(object, name, path);
  if (!v.IsInt64()) throw PayloadError(std::string(path) + " is not an integer");
  return v.GetInt64();
}

const Value& requireObject(const Value& object, std::string_view name, std::string_view path) {
  const Value& v = member(object, name, path);
  if (!v.IsObject()) throw PayloadError(std::string(path) + " is not an object");
  return v;
}

std::string requireMoney(const Value& object, std::string_view name, const std::string& path) {
  const Value& money = requireObject(object, name, path);
  return formatMoney(requireInt(money, "amount", path + ".amount"),
                     requireString(money, "currency", path + ".currency"));
}

// Builds the template view: a JSON object whose strings are copied in.
class View {
 public:
  View() { doc_.SetObject(); }
  Allocator& alloc() { return doc_.GetAllocator(); }
  Value& root() { return doc_; }
  Value str(std::string_view s) {
    return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc());
  }
  void set(Value& object, std::string_view key, Value value) {
    object.AddMember(str(key), value, alloc());
  }
  void set(Value& object, std::string_view key, std::string_view value) {
    set(object, key, str(value));
  }
  void set(Value& object, std::string_view key, std::int64_t value) {
    set(object, key, Value(value));
  }

 private:
  rapidjson::Document doc_;
};

std::string trimSlash(std::string url) {
  while (url.ends_with('/')) url.pop_back();
  return url;
}

void addCommon(View& view, const Recipient& recipient, const ShopInfo& shop) {
  Value shop_value(rapidjson::kObjectType);
  view.set(shop_value, "name", shop.name);
  if (!shop.base_url.empty()) view.set(shop_value, "url", trimSlash(shop.base_url));
  view.set(view.root(), "shop", std::move(shop_value));
  Value person(rapidjson::kObjectType);
  // A greeting needs a name; the address is the best stand-in we have.
  view.set(person, "name", recipient.name.empty() ? recipient.email : recipient.name);
  view.set(person, "email", recipient.email);
  view.set(view.root(), "recipient", std::move(person));
}

// The order as GET /api/v1/orders/{id} renders it (orders/http/render.cpp),
// reduced to what the mail shows, with money formatted.
Value orderView(View& view, const Value& payload, const ShopInfo& shop) {
  const Value& order = requireObject(payload, "order", "order");
  Value out(rapidjson::kObjectType);
  const std::string id = requireString(order, "id", "order.id");
  view.set(out, "id", id);
  view.set(out, "number", requireString(order, "number", "order.number"));
  view.set(out, "status", optionalString(order, "status", "order.status"));
  if (!shop.base_url.empty()) view.set(out, "url", trimSlash(shop.base_url) + "/orders/" + id);

  const Value& totals = requireObject(order, "totals", "order.totals");
  for (const std::string_view name : {"subtotal", "shipping", "tax", "total"}) {
    view.set(out, name, requireMoney(totals, name, "order.totals." + std::string(name)));
  }

  const Value& items = member(order, "items", "order.items");
  if (!items.IsArray()) throw PayloadError("order.items is not an array");
  Value lines(rapidjson::kArrayType);
  for (rapidjson::SizeType i = 0; i < items.Size(); ++i) {
    const std::string path = "order.items[" + std::to_string(i) + "]";
    const Value& item = items[i];
    if (!item.IsObject()) throw PayloadError(path + " is not an object");
    Value line(rapidjson::kObjectType);
    view.set(line, "sku", requireString(item, "sku", path + ".sku"));
    view.set(line, "title", requireString(item, "title", path + ".title"));
    view.set(line, "quantity", requireInt(item, "quantity", path + ".quantity"));
    view.set(line, "unit_price", requireMoney(item, "unit_price", path + ".unit_price"));
    view.set(line, "line_total", requireMoney(item, "line_total", path + ".line_total"));
    lines.PushBack(line, view.alloc());
  }
  view.set(out, "items", std::move(lines));

  if (order.HasMember("shipping_address")) {
    const Value& a = requireObject(order, "shipping_address", "order.shipping_address");
    Value address(rapidjson::kObjectType);
    for (const std::string_view name : {"name", "line1", "city", "postal_code", "country"}) {
      view.set(address, name,
               requireString(a, name, "order.shipping_address." + std::string(name)));
    }
    for (const std::string_view name : {"line2", "region"}) {
      view.set(address, name,
               optionalString(a, name, "order.shipping_address." + std::string(name)));
    }
    view.set(out, "shipping_address", std::move(address));
  }

  if (order.HasMember("shipment")) {
    const Value& s = requireObject(order, "shipment", "order.shipment");
    Value shipment(rapidjson::kObjectType);
    view.set(shipment, "carrier", requireString(s, "carrier", "order.shipment.carrier"));
    view.set(shipment, "tracking_number",
             requireString(s, "tracking_number", "order.shipment.tracking_number"));
    view.set(out, "shipment", std::move(shipment));
  }
  return out;
}

MailMessage address(const events::Event& event, const Recipient& recipient, const ShopInfo& shop,
                    RenderedMail rendered) {
  MailMessage message;
  message.from = shop.from;
  message.to = makeMailbox(recipient.name, recipient.email);
  message.subject = std::move(rendered.subject);
  message.text = std::move(rendered.text);
  message.html = std::move(rendered.html);
  message.message_id = messageIdFor(event.id, recipient.email);
  // Lets support find the event behind a message, and mail filters sort.
  message.headers = {{"X-Emporium-Event", event.type}, {"X-Emporium-Event-Id", event.id}};
  return message;
}

const char* templateFor(std::string_view type) {
  if (type == "user.registered") return "welcome";
  if (type == "order.confirmed") return "order_confirmed";
  if (type == "order.shipped") return "order_shipped";
  if (type == "order.cancelled") return "order_cancelled";
  if (type == "order.delivered") return "order_delivered";
  if (type == "order.refunded") return "order_refunded";
  return nullptr;
}

}  // namespace

Audience audienceOf(const events::Event& event) {
  if (event.type == "stock.low") return {Audience::Kind::kAdmins, {}, std::nullopt};
  if (templateFor(event.type) == nullptr) return {};
  const rapidjson::Document payload = parsePayload(event);
  Audience audience{Audience::Kind::kUser, requireString(payload, "user_id", "user_id"),
                    std::nullopt};
  if (event.type == "user.registered") {
    audience.recipient = Recipient{requireString(payload, "email", "email"),
                                   optionalString(payload, "name", "name")};
  }
  return audience;
}

std::optional<MailMessage> composeNotification(const events::Event& event,
                                               const Recipient& recipient,
                                               const Templates& templates, const ShopInfo& shop) {
  const char* name = templateFor(event.type);
  if (name == nullptr) return std::nullopt;
  const rapidjson::Document payload = parsePayload(event);
  View view;
  addCommon(view, recipient, shop);
  if (event.type == "user.registered") {
    Value user(rapidjson::kObjectType);
    view.set(user, "id", requireString(payload, "user_id", "user_id"));
    view.set(user, "email", requireString(payload, "email", "email"));
    view.set(user, "name", optionalString(payload, "name", "name"));
    view.set(view.root(), "user", std::move(user));
  } else {
    Value order = orderView(view, payload, shop);
    if (event.type == "order.refunded") {
      // The refund's own amount (a partial one says how much), or, in events
      // from before refunds carried it, the order's total.
      const auto refund = payload.FindMember("refund");
      const bool has_refund = refund != payload.MemberEnd() && refund->value.IsObject();
      view.set(order, "refund_amount",
               has_refund ? requireMoney(refund->value, "amount", "refund.amount")
                          : requireMoney(requireObject(requireObject(payload, "order", "order"),
                                                       "totals", "order.totals"),
                                         "total", "order.totals.total"));
    }
    view.set(view.root(), "order", std::move(order));
  }
  return address(event, recipient, shop, templates.render(name, view.root()));
}

std::vector<MailMessage> composeLowStock(const events::Event& event,
                                         const std::vector<Recipient>& admins,
                                         const Templates& templates, const ShopInfo& shop) {
  if (event.type != "stock.low") throw PayloadError(event.type + " is not stock.low");
  const rapidjson::Document payload = parsePayload(event);
  const std::string sku = requireString(payload, "sku", "sku");
  const std::int64_t available = requireInt(payload, "available", "available");
  const std::int64_t threshold = requireInt(payload, "threshold", "threshold");
  std::vector<MailMessage> messages;
  messages.reserve(admins.size());
  std::vector<std::string> seen;  // one message per address, however often listed
  for (const Recipient& admin : admins) {
    std::string key = admin.email;
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(std::move(key));
    View view;
    addCommon(view, admin, shop);
    Value stock(rapidjson::kObjectType);
    view.set(stock, "sku", sku);
    view.set(stock, "available", available);
    view.set(stock, "threshold", threshold);
    view.set(view.root(), "stock", std::move(stock));
    messages.push_back(address(event, admin, shop, templates.render("low_stock", view.root())));
  }
  return messages;
}

std::string messageIdFor(std::string_view event_id, std::string_view recipient_email) {
  // FNV-1a of the lower-cased address: stable across builds and runs, and it
  // keeps the address itself out of headers that mail relays log.
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : recipient_email) {
    h ^= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
    h *= 1099511628211ULL;
  }
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hash(16, '0');
  for (int i = 15; i >= 0; --i) {
    hash[static_cast<std::size_t>(i)] = kDigits[h & 0xF];
    h >>= 4;
  }
  std::string id;
  // Only characters that are valid in a Message-ID's left part.
  for (const char c : event_id) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
    id += ok ? c : '-';
  }
  return id + "." + hash + "@" + std::string(kMessageIdDomain);
}

}  // namespace emporium::notifications
