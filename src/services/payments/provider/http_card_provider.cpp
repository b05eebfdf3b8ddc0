#include "services/payments/provider/http_card_provider.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "core/json/writer.hpp"

namespace emporium::payments {
namespace {

// A provider's answers are small; anything larger is not one of them.
constexpr std::size_t kMaxResponseBytes = 1 << 20;

std::size_t appendBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * count;
  if (body->size() + bytes > kMaxResponseBytes) return 0;  // aborts the transfer
  body->append(data, bytes);
  return bytes;
}

// Header values are written verbatim into the request: no CR, LF or other
// control characters may reach them.
void requireHeaderSafe(const std::string& value) {
  if (value.empty()) throw std::invalid_argument("empty idempotency key");
  for (const char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      throw std::invalid_argument("idempotency key with a control character");
    }
  }
}

std::int64_t int64Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return 0;
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return 0;
  return it->value.GetInt64();
}

std::string stringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

rapidjson::Document parseJson(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError()) doc.SetObject();
  return doc;
}

// A query-string value: unreserved characters as they are, the rest %XX.
std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4U]);
      out.push_back(kHex[u & 0xFU]);
    }
  }
  return out;
}

std::string describe(const HttpCardProvider::Exchange& ex) {
  if (!ex.transport_ok) return "card provider unreachable: " + ex.error;
  return "card provider answered HTTP " + std::to_string(ex.status);
}

}  // namespace

resilience::Backoff retryBackoff(const RetryOptions& retry, resilience::UniformRandom random) {
  return resilience::Backoff({retry.base, retry.cap, resilience::Jitter::kFull}, std::move(random));
}

std::chrono::milliseconds worstCase(const RetryOptions& retry,
                                    std::chrono::milliseconds per_attempt) {
  return retryBackoff(retry).worstCase(per_attempt, retry.max_attempts);
}

bool isTransient(const HttpCardProvider::Exchange& exchange) {
  if (!exchange.transport_ok) return true;
  return exchange.status >= 500 || exchange.status == 408 || exchange.status == 429;
}

HttpCardProvider::HttpCardProvider(BaseUrl base_url, const HttpCardProviderOptions& options,
                                   HttpCardProviderHooks hooks)
    : base_url_(std::move(base_url)),
      options_(options),
      hooks_(std::move(hooks)),
      backoff_(retryBackoff(options.retry, hooks_.random)),
      breaker_(options.breaker, hooks_.clock) {
  if (!hooks_.sleep) {
    hooks_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

HttpCardProvider::Exchange HttpCardProvider::send(const std::string& path,
                                                  const std::optional<std::string>& json_body,
                                                  const std::string& idempotency_key) const {
  Exchange ex;
  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                                 &curl_easy_cleanup);
  if (!curl) {
    ex.error = "curl_easy_init failed";
    return ex;
  }
  curl_slist* raw_headers = nullptr;
  std::vector<std::string> lines{"Content-Type: application/json", "Accept: application/json"};
  if (!idempotency_key.empty()) lines.push_back("Idempotency-Key: " + idempotency_key);
  if (!options_.secret.empty()) lines.push_back("Authorization: Bearer " + options_.secret);
  for (const std::string& h : lines) {
    curl_slist* next = curl_slist_append(raw_headers, h.c_str());
    if (next == nullptr) {
      curl_slist_free_all(raw_headers);
      ex.error = "out of memory";
      return ex;
    }
    raw_headers = next;
  }
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(raw_headers,
                                                                            &curl_slist_free_all);
  const std::string url = base_url_() + path;
  std::array<char, CURL_ERROR_SIZE> error{};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we are multi-threaded
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  if (json_body) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json_body->c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json_body->size()));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &appendBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex.body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error.data());
  if (const CURLcode rc = curl_easy_perform(h); rc != CURLE_OK) {
    ex.error = error[0] != '\0' ? std::string(error.data()) : curl_easy_strerror(rc);
    ex.body.clear();
    return ex;
  }
  ex.transport_ok = true;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ex.status);
  return ex;
}

HttpCardProvider::Exchange HttpCardProvider::postWithRetries(const std::string& path,
                                                             const std::string& json_body,
                                                             const std::string& idempotency_key) {
  // Checked before the breaker admits the call: a throw after admission
  // would leave a half-open breaker waiting for a probe that never reports.
  requireHeaderSafe(idempotency_key);
  Exchange last;
  last.error = "circuit open";
  const int max_attempts = std::max(options_.retry.max_attempts, 1);
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    const auto admission = breaker_.admit();
    if (admission == CircuitBreaker::Admission::kRejected) {
      // Fail fast: the provider failed repeatedly and is cooling down.
      if (attempt > 1) last.error += " (then the circuit opened)";
      return last;
    }
    try {
      last = send(path, json_body, idempotency_key);
    } catch (...) {
      breaker_.onFailure(admission);  // a probe must always report back
      throw;
    }
    if (!isTransient(last)) {
      breaker_.onSuccess(admission);
      return last;
    }
    breaker_.onFailure(admission);
    if (attempt == max_attempts) break;
    hooks_.sleep(backoff_.delayAfter(attempt));
  }
  return last;
}

ProviderCharge HttpCardProvider::charge(const std::string& token, std::int64_t amount,
                                        const std::string& currency,
                                        const std::string& idempotency_key,
                                        const std::string& customer) {
  json::Writer w;
  w.startObject().member("token", token).member("amount", amount).member("currency", currency);
  if (!customer.empty()) w.member("customer", customer);
  w.endObject();
  const auto ex = postWithRetries("/v1/charges", w.str(), idempotency_key);
  ProviderCharge result;
  result.detail = describe(ex);
  if (isTransient(ex)) return result;  // kUnavailable
  const auto doc = parseJson(ex.body);
  if (ex.status == 200 || ex.status == 201) {
    result.charge_id = stringMember(doc, "id");
    // A 2xx we cannot read may still be a charge: unavailable, never approved.
    if (stringMember(doc, "status") != "succeeded" || result.charge_id.empty()) {
      result.detail = "card provider sent an unreadable charge";
      return result;
    }
    result.status = ProviderStatus::kApproved;
    result.brand = stringMember(doc, "brand");
    result.last4 = stringMember(doc, "last4");
    result.detail.clear();
    return result;
  }
  if (ex.status == 402) {
    const auto code = stringMember(doc, "code");
    result.status = code == "insufficient_funds" ? ProviderStatus::kInsufficientFunds
                                                 : ProviderStatus::kDeclined;
    result.detail =
        code == "insufficient_funds" ? "the card has insufficient funds" : "the card was declined";
    return result;
  }
  if (ex.status == 400 || ex.status == 404 || ex.status == 422) {
    result.status = ProviderStatus::kInvalidToken;
    result.detail = "the card token is unknown or unusable";
    result.bound_to_another_customer =
        ex.status == 404 && stringMember(doc, "code") == "customer_mismatch";
    return result;
  }
  // 401/403 and the like: our configuration is wrong, not the buyer's card.
  return result;
}

ProviderRefund HttpCardProvider::refund(const std::string& charge_idempotency_key,
                                        const std::string& refund_idempotency_key,
                                        std::int64_t amount) {
  json::Writer w;
  w.startObject().member("charge_idempotency_key", charge_idempotency_key);
  if (amount > 0) w.member("amount", amount);
  w.endObject();
  const auto ex = postWithRetries("/v1/refunds", w.str(), refund_idempotency_key);
  ProviderRefund result;
  result.detail = describe(ex);
  if (isTransient(ex)) return result;
  const auto doc = parseJson(ex.body);
  if ((ex.status == 200 || ex.status == 201) && stringMember(doc, "status") == "refunded") {
    result.status = ProviderRefundStatus::kRefunded;
    result.refund_id = stringMember(doc, "id");
    result.charge_id = stringMember(doc, "charge_id");
    result.amount = int64Member(doc, "amount");
    result.detail.clear();
    return result;
  }
  if (ex.status == 404 && stringMember(doc, "code") == "no_such_charge") {
    result.status = ProviderRefundStatus::kNoSuchCharge;
    result.detail = "the provider holds no charge under that key";
  }
  if (ex.status == 422 && stringMember(doc, "code") == "amount_too_large") {
    result.status = ProviderRefundStatus::kTooLarge;
    result.detail = "the refunds would add up to more than the charge";
  }
  return result;
}

ProviderChargeState HttpCardProvider::chargeState(const std::string& charge_idempotency_key) {
  ProviderChargeState result;
  if (charge_idempotency_key.empty()) {
    result.detail = "no idempotency key";
    return result;
  }
  const auto ex = send("/v1/charges?idempotency_key=" + percentEncode(charge_idempotency_key),
                       std::nullopt, "");
  result.detail = describe(ex);
  if (!ex.transport_ok || ex.status != 200) return result;
  const auto doc = parseJson(ex.body);
  const auto items = doc.IsObject() ? doc.FindMember("items") : doc.MemberEnd();
  if (!doc.IsObject() || items == doc.MemberEnd() || !items->value.IsArray()) {
    result.detail = "card provider sent an unreadable charge list";
    return result;
  }
  if (items->value.Empty()) {
    result.lookup = ProviderChargeLookup::kNoSuchCharge;
    return result;
  }
  const auto& charge = items->value[0];
  const auto refunded = charge.IsObject() ? charge.FindMember("refunded") : charge.MemberEnd();
  if (!charge.IsObject() || refunded == charge.MemberEnd() || !refunded->value.IsBool()) {
    result.detail = "card provider sent an unreadable charge";
    return result;
  }
  result.lookup = ProviderChargeLookup::kFound;
  result.refunded = refunded->value.GetBool();
  result.refund_id = stringMember(charge, "refund_id");
  result.amount_refunded = int64Member(charge, "amount_refunded");
  // A provider that lists no amounts but says "refunded": all of it.
  if (result.refunded && result.amount_refunded == 0)
    result.amount_refunded = int64Member(charge, "amount");
  if (const auto refunds = charge.FindMember("refunds");
      refunds != charge.MemberEnd() && refunds->value.IsArray()) {
    for (const auto& r : refunds->value.GetArray()) {
      if (!r.IsObject()) continue;
      result.refunds.push_back(ProviderRefundEntry{
          stringMember(r, "id"), stringMember(r, "idempotency_key"), int64Member(r, "amount")});
    }
  }
  result.detail.clear();
  return result;
}

}  // namespace emporium::payments
