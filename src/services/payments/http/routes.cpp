#include "services/payments/http/routes.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "core/http/api_error.hpp"
#include "core/json/body.hpp"
#include "core/json/money.hpp"
#include "core/json/writer.hpp"
#include "services/payments/domain/gift_card_code.hpp"

namespace emporium::payments {
namespace {

constexpr std::size_t kMinCodeLength = 4;
constexpr std::size_t kMaxCodeLength = 32;
// A gift card of more than a million in major units is a typo.
constexpr std::int64_t kMaxBalance = 100'000'000;

std::optional<std::string> checkCode(std::string_view code) {
  if (code.size() < kMinCodeLength || code.size() > kMaxCodeLength) {
    return "must be 4 to 32 characters";
  }
  for (const char c : code) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return "may hold only letters, digits and dashes";
  }
  return std::nullopt;
}

bool validCurrency(std::string_view c) {
  if (c.size() != 3) return false;
  for (const char ch : c) {
    if (ch < 'A' || ch > 'Z') return false;
  }
  return true;
}

http::Response giftCardResponse(int status, const GiftCard& card) {
  json::Writer w;
  w.startObject().member("code", card.code);
  json::writeMoney(w, "balance", card.balance, card.currency);
  w.member("created_at", card.created_at).member("updated_at", card.updated_at).endObject();
  return http::Response::json(status, w.str());
}

struct Money {
  std::int64_t amount = 0;
  std::string currency;
};

// balance: 5000, or {"amount": 5000, "currency": "EUR"}.
Money readBalance(const json::Body& body, const std::string& default_currency) {
  if (!body.has("balance")) throw http::ApiError::validation("balance", "is required");
  const auto& v = body.root()["balance"];
  Money money{0, default_currency};
  if (v.IsObject()) {
    const auto balance = body.requireObject("balance");
    money.amount = balance.requireInt("amount");
    if (auto currency = balance.optionalString("currency")) money.currency = std::move(*currency);
    if (!validCurrency(money.currency)) {
      throw http::ApiError::validation("balance.currency",
                                       R"(must be an ISO 4217 code such as "USD")");
    }
  } else if (v.IsInt64()) {
    money.amount = v.GetInt64();
  } else {
    throw http::ApiError::validation(
        "balance", R"(must be an integer (minor units) or {"amount", "currency"})");
  }
  if (money.amount < 0 || money.amount > kMaxBalance) {
    throw http::ApiError::validation(v.IsObject() ? "balance.amount" : "balance",
                                     "must be from 0 to 100000000 (minor units)");
  }
  return money;
}

// {code?, balance}: without a code the shop makes one (domain/gift_card_code.hpp).
http::Response createGiftCard(const PaymentsApi& api, const http::Request& req) {
  constexpr int kGenerateAttempts = 3;  // a collision at 100 bits is a broken generator
  const auto body = json::Body::parse(req);
  const auto given = body.optionalString("code");
  if (given) {
    if (const auto problem = checkCode(*given)) throw http::ApiError::validation("code", *problem);
  }
  const auto balance = readBalance(body, api.default_currency);
  std::optional<GiftCard> card;
  for (int attempt = 0; !card && attempt < (given ? 1 : kGenerateAttempts); ++attempt) {
    card = api.payments.createGiftCard(given ? *given : generateGiftCardCode(), balance.amount,
                                       balance.currency);
  }
  if (!card) {
    throw http::ApiError(409, "gift-card-exists", "Gift card exists",
                         "a gift card with this code exists already",
                         {{"code", "is already in use"}});
  }
  // Whoever reads the logs must not be able to spend the card.
  req.log().info("gift card issued",
                 {{"code", maskGiftCardCode(card->code)}, {"balance", card->balance}});
  return giftCardResponse(201, *card);
}

http::Response getGiftCard(const PaymentsApi& api, const http::Request& req) {
  const std::string_view code = req.pathParam("code");
  // A malformed code cannot exist: 404 without asking the database.
  const auto card = checkCode(code) ? std::nullopt : api.payments.giftCard(code);
  if (!card) throw http::ApiError::notFound("no gift card " + std::string(code));
  return giftCardResponse(200, *card);
}

bool isCartId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Where clients tokenize cards. A signed-in customer, or a guest naming the
// cart they check out (?cart_id=), gets a tokenize URL bound to them: the
// tokens made through it pay for them only (customer_binding.hpp).
http::Response paymentsConfig(const PaymentsApi& api, const http::Request& req) {
  std::optional<std::string> payer;
  if (req.principal) {
    payer = "user:" + req.principal->user_id;
  } else if (const auto cart = req.queryParam("cart_id")) {
    if (!isCartId(*cart)) throw http::ApiError::validation("cart_id", "is not a cart id");
    payer = "cart:" + *cart;
  }
  json::Writer w;
  w.startObject().key("card");
  if (api.tokenize_url) {
    std::string url = api.tokenize_url();
    if (payer && api.bind_customer) url += "?customer=" + api.bind_customer(*payer);
    w.startObject().member("tokenize_url", url).endObject();
  } else {
    w.null();
  }
  w.key("methods").startArray();
  if (api.tokenize_url) w.value(methodName(Method::kCard));
  w.value(methodName(Method::kGiftCard)).value(methodName(Method::kCashOnDelivery));
  w.endArray().endObject();
  auto response = http::Response::json(200, w.str());
  // A bound URL is this customer's: no shared cache may hand it to another.
  if (payer) response.headers.emplace_back("Cache-Control", "private, no-store");
  return response;
}

}  // namespace

void addRoutes(http::Router& router, const PaymentsApi& api) {
  using http::Method;
  const http::RouteOptions admin{http::Execution::kBlocking, http::Access::kAdmin, true};
  // Not inline: a signed-in caller's token is checked (off the event loop)
  // to bind the tokenize URL to them.
  const http::RouteOptions pub{http::Execution::kBlocking, http::Access::kPublic, true};
  const auto* a = &api;
  router.add(
      Method::kGet, "/api/v1/payments/config",
      [a](http::Request& r) { return paymentsConfig(*a, r); }, pub);
  router.add(
      Method::kPost, "/api/v1/admin/gift-cards",
      [a](http::Request& r) { return createGiftCard(*a, r); }, admin);
  router.add(
      Method::kGet, "/api/v1/admin/gift-cards/{code}",
      [a](http::Request& r) { return getGiftCard(*a, r); }, admin);
}

}  // namespace emporium::payments
