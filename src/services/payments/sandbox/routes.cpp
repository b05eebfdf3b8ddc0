#include "services/payments/sandbox/routes.hpp"

#include <rapidjson/document.h>
#include <sodium.h>

#include <string>
#include <thread>

#include "core/http/api_error.hpp"
#include "core/http/field_errors.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "core/util/ids.hpp"
#include "services/payments/domain/customer_binding.hpp"

namespace emporium::payments::sandbox {
namespace {

constexpr std::size_t kMaxKeyBytes = 255;
constexpr std::size_t kMaxListed = 100;
constexpr std::int64_t kMaxLatencyMs = 60'000;

// Collects every field problem and answers them together as a 400, the
// provider's status for bad input (Emporium's own API uses 422).
using Problems = http::FieldErrors;  // answered with throwBadRequestIfAny()

// A processor's error: a problem document that carries the machine-readable
// `code` clients switch on.
http::Response providerError(int status, std::string_view code, std::string_view detail) {
  json::Writer w;
  w.startObject()
      .member("type", http::problemType(std::string(code)))
      .member("title", code)
      .member("status", status)
      .member("detail", detail)
      .member("code", code)
      .endObject();
  return http::Response{status, http::kProblemJson, w.str(), {}};
}

http::Response unavailable() {
  return providerError(503, "unavailable", "the sandbox failed this call on purpose (control)")
      .withHeader("Retry-After", "1");
}

// Every route but tokenization acts on the shop's money or on the sandbox
// itself: it needs the secret, compared in constant time.
void requireSecret(const SandboxApi& api, const http::Request& req) {
  constexpr std::string_view kScheme = "Bearer ";
  const std::string_view given = req.header("Authorization");
  const bool ok =
      !api.secret.empty() && given.size() == kScheme.size() + api.secret.size() &&
      given.starts_with(kScheme) &&
      sodium_memcmp(given.data() + kScheme.size(), api.secret.data(), api.secret.size()) == 0;
  if (ok) return;
  // unauthorized() carries WWW-Authenticate: Bearer.
  throw http::ApiError::unauthorized(
      given.empty() ? "this sandbox route needs the sandbox secret (Authorization: Bearer)"
                    : "the sandbox secret is wrong");
}

std::string requireIdempotencyKey(const http::Request& req) {
  const std::string_view key = req.header("Idempotency-Key");
  if (key.empty() || key.size() > kMaxKeyBytes) {
    throw http::ApiError::badRequest("the Idempotency-Key header is required (1 to 255 characters)",
                                     {{"Idempotency-Key", "is required"}});
  }
  return std::string(key);
}

// exp_month / exp_year arrive as numbers or digit strings ("07"), as card
// forms send them.
std::optional<std::int64_t> readInteger(const json::Body& body, std::string_view field,
                                        Problems& problems) {
  if (!body.has(field)) {
    problems.fail(std::string(field), "is required");
    return std::nullopt;
  }
  const auto member = body.root().FindMember(
      rapidjson::Value(field.data(), static_cast<rapidjson::SizeType>(field.size())));
  const auto& v = member->value;
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsString() && v.GetStringLength() > 0 && v.GetStringLength() <= 4) {
    std::int64_t n = 0;
    for (rapidjson::SizeType i = 0; i < v.GetStringLength(); ++i) {
      const char c = v.GetString()[i];
      if (c < '0' || c > '9') {
        problems.fail(std::string(field), "must be an integer");
        return std::nullopt;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }
  problems.fail(std::string(field), "must be an integer");
  return std::nullopt;
}

bool validCurrency(std::string_view c) {
  if (c.size() != 3) return false;
  for (const char ch : c) {
    if (ch < 'A' || ch > 'Z') return false;
  }
  return true;
}

void applyLatency(const SandboxApi& api, const CallPlan& plan) {
  if (plan.latency.count() <= 0) return;
  if (api.sleep) {
    api.sleep(plan.latency);
  } else {
    std::this_thread::sleep_for(plan.latency);
  }
}

http::Response createToken(const SandboxApi& api, const http::Request& req) {
  const auto body = json::Body::parse(req);
  Problems problems;
  const auto number = problems.read([&] { return body.optionalString("number"); });
  const auto cvc = problems.read([&] { return body.optionalString("cvc"); });
  std::optional<std::string> digits;
  if (!number) {
    if (!body.has("number")) problems.fail("number", "is required");
  } else if (digits = normalizeCardNumber(*number); !digits) {
    problems.fail("number", "must be 12 to 19 digits (spaces and dashes allowed)");
  } else if (!luhnValid(*digits)) {
    problems.fail("number", "is not a valid card number (check digit)");
  }
  const auto month = readInteger(body, "exp_month", problems);
  const auto year = readInteger(body, "exp_year", problems);
  if (month && year) {
    if (const auto expiry = checkExpiry(*month, *year, api.today())) {
      problems.fail(expiry->field, expiry->message);
    }
  }
  if (!cvc) {
    if (!body.has("cvc")) problems.fail("cvc", "is required");
  } else if (!cvcValid(*cvc)) {
    problems.fail("cvc", "must be 3 or 4 digits");
  }
  // A shop's customer-bound tokenize URL carries ?customer=<payer>.<mac>
  // (customer_binding.hpp): the token is then that customer's alone.
  std::optional<std::string> customer;
  if (const auto binding = req.queryParam("customer")) {
    customer = boundCustomer(*binding, api.secret);
    if (!customer) problems.fail("customer", "is not a customer binding the shop made");
  }
  problems.throwBadRequestIfAny();

  const auto now = api.now();
  const Token token{
      util::newId("tok"),   std::string(cardBrand(*digits)), digits->substr(digits->size() - 4),
      behaviourOf(*digits), util::formatRfc3339(now),        customer};
  api.store.insertToken(token);
  // Tokens never charged are dropped once they expire, so tokenizing in a
  // loop cannot grow the table without bound (the rate limit slows it).
  api.store.purgeUnusedTokensBefore(util::formatRfc3339(now - api.token_ttl));
  json::Writer w;
  w.startObject()
      .member("token", token.token)
      .member("brand", token.brand)
      .member("last4", token.last4)
      .endObject();
  return http::Response::json(201, w.str());
}

http::Response chargeResponse(const SandboxApi& api, const Charge& charge, bool created) {
  if (charge.status != "succeeded") {
    const std::string code = charge.decline_code.value_or("card_declined");
    auto response = providerError(
        402, code,
        code == "insufficient_funds" ? "the card has insufficient funds" : "the card was declined");
    return response;
  }
  const auto token = api.store.token(charge.token);
  json::Writer w;
  w.startObject()
      .member("id", charge.id)
      .member("status", "succeeded")
      .member("amount", charge.amount)
      .member("currency", charge.currency)
      .member("idempotency_key", charge.idempotency_key)
      .member("brand", token ? token->brand : "unknown")
      .member("last4", token ? token->last4 : "")
      .member("refunded", charge.refunded)
      .member("created_at", charge.created_at)
      .endObject();
  return http::Response::json(created ? 201 : 200, w.str());
}

http::Response createCharge(const SandboxApi& api, const http::Request& req) {
  const std::string key = requireIdempotencyKey(req);
  const auto body = json::Body::parse(req);
  Problems problems;
  const auto token_text = problems.read([&] { return body.optionalString("token"); });
  const auto amount = problems.read([&] { return body.optionalInt("amount"); });
  const auto currency = problems.read([&] { return body.optionalString("currency"); });
  const auto customer = problems.read([&] { return body.optionalString("customer"); });
  if (!token_text && !body.has("token")) problems.fail("token", "is required");
  if (!amount) {
    if (!body.has("amount")) problems.fail("amount", "is required");
  } else if (*amount <= 0) {
    problems.fail("amount", "must be greater than zero");
  }
  if (currency && !validCurrency(*currency)) {
    problems.fail("currency", "must be an ISO 4217 code such as USD");
  }
  problems.throwBadRequestIfAny();

  const auto plan = api.control.planCall();
  applyLatency(api, plan);
  if (plan.fail && plan.mode == FailMode::kBefore) return unavailable();

  // A replayed key answers with its first charge, whatever the body says.
  if (auto existing = api.store.chargeByKey(key)) {
    if (plan.fail) return unavailable();
    return chargeResponse(api, *existing, false);
  }
  const auto token = api.store.token(*token_text);
  if (!token) return providerError(404, "invalid_token", "no such card token");
  if (token->created_at < util::formatRfc3339(api.now() - api.token_ttl)) {
    return providerError(404, "invalid_token", "the card token expired; tokenize the card again");
  }
  // A customer's token pays for that customer only: for anyone else it is as
  // if it did not exist.
  if (token->customer && token->customer != customer) {
    return providerError(404, "customer_mismatch", "no such card token for this customer");
  }
  if (token->behaviour == Behaviour::kFailTwice && api.store.countAttempt(key) <= 2) {
    return providerError(503, "processing_error", "a transient failure of the card network")
        .withHeader("Retry-After", "1");
  }
  Charge charge;
  charge.id = util::newId("ch");
  charge.idempotency_key = key;
  charge.token = token->token;
  charge.amount = *amount;
  charge.currency = currency.value_or("USD");
  charge.created_at = util::nowRfc3339();
  switch (token->behaviour) {
    case Behaviour::kDecline:
      charge.status = "declined";
      charge.decline_code = "card_declined";
      break;
    case Behaviour::kInsufficientFunds:
      charge.status = "declined";
      charge.decline_code = "insufficient_funds";
      break;
    case Behaviour::kApprove:
    case Behaviour::kFailTwice:
      charge.status = "succeeded";
      break;
  }
  const auto [stored, created] = api.store.insertChargeOrGet(charge);
  // "after": the charge is made, then the answer is lost on its way back.
  if (plan.fail) return unavailable();
  return chargeResponse(api, stored, created);
}

http::Response refundJson(const Refund& refund) {
  json::Writer w;
  w.startObject()
      .member("id", refund.id)
      .member("status", "refunded")
      .member("charge_id", refund.charge_id)
      .member("amount", refund.amount)
      .member("created_at", refund.created_at)
      .endObject();
  return http::Response::json(200, w.str());
}

// {charge_idempotency_key, amount?}: amount (minor units) refunds part of the
// charge, several times up to its amount; without it, all that is left.
http::Response createRefund(const SandboxApi& api, const http::Request& req) {
  const std::string key = requireIdempotencyKey(req);
  const auto body = json::Body::parse(req);
  Problems problems;
  const auto charge_key =
      problems.read([&] { return body.optionalString("charge_idempotency_key"); });
  if (!charge_key && !body.has("charge_idempotency_key")) {
    problems.fail("charge_idempotency_key", "is required");
  }
  const auto amount = problems.read([&] { return body.optionalInt("amount"); });
  if (amount && *amount <= 0) problems.fail("amount", "must be greater than zero");
  problems.throwBadRequestIfAny();

  const auto plan = api.control.planCall();
  applyLatency(api, plan);
  if (plan.fail && plan.mode == FailMode::kBefore) return unavailable();

  std::optional<Refund> refund = api.store.refundByKey(key);
  if (!refund) {
    const auto charge = api.store.chargeByKey(*charge_key);
    // A declined charge took no money: there is nothing to refund either.
    if (!charge || charge->status != "succeeded") {
      return providerError(404, "no_such_charge", "no successful charge under that key");
    }
    const auto done = api.store.insertRefund(
        Refund{util::newId("re"), key, charge->id, util::nowRfc3339(), amount.value_or(0)});
    if (done.kind == RefundInsert::Kind::kTooLarge) {
      return providerError(422, "amount_too_large",
                           "the refunds would add up to more than the charge");
    }
    refund = done.refund;
  }
  if (plan.fail) return unavailable();
  return refundJson(*refund);
}

http::Response listCharges(const SandboxApi& api, const http::Request& req) {
  const auto key = req.queryParam("idempotency_key");
  std::size_t limit = kMaxListed;
  if (const auto text = req.queryParam("limit")) {
    std::size_t n = 0;
    bool digits = !text->empty() && text->size() <= 3;
    for (const char c : *text) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (!digits || n < 1 || n > kMaxListed) {
      throw http::ApiError::badRequest("limit must be from 1 to 100",
                                       {{"limit", "must be from 1 to 100"}});
    }
    limit = n;
  }
  json::Writer w;
  w.startObject().key("items").startArray();
  for (const auto& c : api.store.listCharges(key, limit)) {
    w.startObject()
        .member("id", c.id)
        .member("idempotency_key", c.idempotency_key)
        .member("amount", c.amount)
        .member("currency", c.currency)
        .member("status", c.status)
        .member("refunded", c.refunded)
        .member("amount_refunded", c.refunded_amount)
        .key("refund_id");
    if (c.refund_id) {
      w.value(*c.refund_id);
    } else {
      w.null();
    }
    w.key("refunds").startArray();
    for (const auto& r : api.store.refundsOf(c.id)) {
      w.startObject()
          .member("id", r.id)
          .member("idempotency_key", r.idempotency_key)
          .member("amount", r.amount)
          .member("created_at", r.created_at)
          .endObject();
    }
    w.endArray();
    w.member("created_at", c.created_at).endObject();
  }
  w.endArray().endObject();
  return http::Response::json(200, w.str());
}

http::Response controlResponse(const ControlSettings& s) {
  json::Writer w;
  w.startObject()
      .member("latency_ms", static_cast<std::int64_t>(s.latency.count()))
      .member("fail_rate", s.fail_rate)
      .member("fail_mode", failModeName(s.fail_mode))
      .member("fail_next", s.fail_next)
      .endObject();
  return http::Response::json(200, w.str());
}

http::Response getControl(const SandboxApi& api, const http::Request& /*req*/) {
  return controlResponse(api.control.settings());
}

// Fields left out keep their current value, so a test can change one knob.
http::Response setControl(const SandboxApi& api, const http::Request& req) {
  const auto body = json::Body::parse(req);
  Problems problems;
  ControlSettings s = api.control.settings();
  if (const auto latency = problems.read([&] { return body.optionalInt("latency_ms"); })) {
    if (*latency < 0 || *latency > kMaxLatencyMs) {
      problems.fail("latency_ms", "must be from 0 to 60000");
    } else {
      s.latency = std::chrono::milliseconds(*latency);
    }
  }
  if (body.has("fail_rate")) {
    const auto& v = body.root()["fail_rate"];
    if (!v.IsNumber() || v.GetDouble() < 0 || v.GetDouble() > 1) {
      problems.fail("fail_rate", "must be a number from 0 to 1");
    } else {
      s.fail_rate = v.GetDouble();
    }
  }
  if (const auto mode = problems.read([&] { return body.optionalString("fail_mode"); })) {
    if (*mode == "before") {
      s.fail_mode = FailMode::kBefore;
    } else if (*mode == "after") {
      s.fail_mode = FailMode::kAfter;
    } else {
      problems.fail("fail_mode", R"(must be "before" or "after")");
    }
  }
  if (const auto next = problems.read([&] { return body.optionalInt("fail_next"); })) {
    if (*next < 0 || *next > 1'000'000) {
      problems.fail("fail_next", "must be from 0 to 1000000");
    } else {
      s.fail_next = *next;
    }
  }
  problems.throwBadRequestIfAny();
  api.control.set(s);
  return controlResponse(s);
}

}  // namespace

void addSandboxRoutes(http::Router& router, const SandboxApi& api, std::string_view prefix) {
  using http::Method;
  // Tokenization is public (a browser or app tokenizes the card here without
  // any Emporium account) and counted against the listener's per-address
  // limit. The other routes need the secret and are not limited: the shop
  // calls them for every checkout.
  // The sandbox has a listener (and pools) of its own, so the shop's blocking
  // callers never queue in front of the calls they wait for.
  const http::RouteOptions pub{http::Execution::kBlocking, http::Access::kPublic, true};
  const http::RouteOptions secret{http::Execution::kBlocking, http::Access::kPublic, false};
  const auto* a = &api;
  const std::string base(prefix);
  const auto guarded = [a](http::Response (*handler)(const SandboxApi&, const http::Request&)) {
    return [a, handler](http::Request& r) {
      requireSecret(*a, r);
      return handler(*a, r);
    };
  };
  router.add(
      Method::kPost, base + "/v1/tokens", [a](http::Request& r) { return createToken(*a, r); },
      pub);
  router.add(Method::kPost, base + "/v1/charges", guarded(&createCharge), secret);
  router.add(Method::kGet, base + "/v1/charges", guarded(&listCharges), secret);
  router.add(Method::kPost, base + "/v1/refunds", guarded(&createRefund), secret);
  router.add(Method::kGet, base + "/v1/control", guarded(&getControl), secret);
  router.add(Method::kPost, base + "/v1/control", guarded(&setControl), secret);
}

}  // namespace emporium::payments::sandbox
