#include "gateway/gateway_routes.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "core/http/api_error.hpp"
#include "core/http/dispatch.hpp"
#include "gateway/compression.hpp"
#include "gateway/route_table.hpp"

namespace emporium::gateway {
namespace {

using Clock = std::chrono::steady_clock;

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool oneOf(std::string_view name, std::span<const std::string_view> names) {
  return std::any_of(names.begin(), names.end(),
                     [name](std::string_view n) { return equalsIgnoringCase(n, name); });
}

// Hop-by-hop fields (RFC 9110 7.6.1) and what the gateway sets itself.
// Accept-Encoding too: the gateway picks the answer's encoding itself, so
// the services always answer it in identity.
constexpr std::array<std::string_view, 15> kRequestFieldsNotForwarded{
    "Host",         "Connection",  "Keep-Alive",           "Transfer-Encoding", "TE",
    "Trailer",      "Upgrade",     "Proxy-Authorization",  "Content-Length",    "Expect",
    "X-Request-Id", "traceparent", "X-Emporium-Budget-Ms", "X-Forwarded-For",   "Accept-Encoding"};
constexpr std::array<std::string_view, 12> kResponseFieldsNotForwarded{"Connection",
                                                                       "Keep-Alive",
                                                                       "Transfer-Encoding",
                                                                       "TE",
                                                                       "Trailer",
                                                                       "Upgrade",
                                                                       "Proxy-Authenticate",
                                                                       "Content-Length",
                                                                       "Content-Type",
                                                                       "X-Request-Id",
                                                                       "Server",
                                                                       "Date"};

// Response::content_type must outlive the response: the types our services
// answer with, as constants.
std::string_view knownContentType(std::string_view type) {
  static constexpr std::array<std::string_view, 6> kKnown{
      http::kJson,           http::kProblemJson,         http::kTextPlain,
      http::kPrometheusText, "text/html; charset=utf-8", "text/css; charset=utf-8"};
  for (const std::string_view known : kKnown) {
    if (equalsIgnoringCase(known, type)) return known;
  }
  if (type.empty()) return http::kJson;
  return "application/octet-stream";
}

// Security headers every answer of the edge carries (the answers are JSON
// for programs, never pages to frame or sniff).
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kSecurityHeaders{{
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
}};

constexpr std::string_view kCorsAllowHeaders =
    "Authorization, Content-Type, Idempotency-Key, If-None-Match, X-Request-Id";
constexpr std::string_view kCorsExposeHeaders = "ETag, Location, Retry-After, X-Request-Id";
constexpr std::string_view kCorsAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE";

bool hasHeader(const http::Response& response, std::string_view name) {
  return std::any_of(response.headers.begin(), response.headers.end(),
                     [name](const auto& h) { return equalsIgnoringCase(h.first, name); });
}

// JSON answers at least this long go compressed to clients that accept it;
// below it the header and the CPU cost more than the bytes saved.
constexpr std::size_t kCompressFrom = 1024;

void compressForClient(const http::Request& request, http::Response& response) {
  const bool json =
      response.content_type == http::kJson || response.content_type == http::kProblemJson;
  if (!json || response.body.size() < kCompressFrom || hasHeader(response, "Content-Encoding")) {
    return;
  }
  const Coding coding = preferredCoding(request.header("Accept-Encoding"));
  if (coding == Coding::kIdentity) return;
  auto packed = coding == Coding::kBrotli ? brotli(response.body) : gzip(response.body);
  if (!packed || packed->size() >= response.body.size()) return;
  response.body = std::move(*packed);
  response.headers.emplace_back("Content-Encoding", coding == Coding::kBrotli ? "br" : "gzip");
  response.headers.emplace_back("Vary", "Accept-Encoding");
  // Another representation: a strong validator of the identity body no
  // longer names these bytes (nginx's gzip does the same).
  for (auto& [name, value] : response.headers) {
    if (equalsIgnoringCase(name, "ETag") && !value.starts_with("W/")) value.insert(0, "W/");
  }
}

std::string baseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

struct GatewayRoutes::Service {
  std::string name;
  std::vector<std::string> urls;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> answered{0};
  std::atomic<std::uint64_t> unavailable{0};
  std::atomic<std::uint64_t> timed_out{0};
};

std::vector<std::string> validate(const GatewayOptions& options) {
  std::vector<std::string> problems;
  for (const std::string_view service : routedServices()) {
    const auto it = options.service_urls.find(service);
    if (it == options.service_urls.end() || it->second.empty()) {
      problems.push_back("services." + std::string(service) +
                         ".urls: the gateway routes to this service but has no URL for it");
      continue;
    }
    for (const std::string& url : it->second) {
      const std::string base = baseUrl(url);
      // A base URL is an origin: scheme, host and port, no path.
      const std::string origin = net::originOf(base);
      const std::size_t authority = base.find("://");
      const bool has_path = authority != std::string::npos &&
                            base.find_first_of("/?#", authority + 3) != std::string::npos;
      if (origin.empty() || has_path) {
        problems.push_back("services." + std::string(service) + ".urls: '" + url +
                           "' is not an http(s)://host:port base URL");
      }
    }
  }
  for (const std::string& origin : options.cors_origins) {
    if (origin == "*" || net::originOf(origin).empty() ||
        origin.find_first_of("/?#", origin.find("://") + 3) != std::string::npos) {
      problems.push_back("gateway.cors_origins: '" + origin +
                         "' is not an origin such as https://shop.example");
    }
  }
  if (options.upstream_timeout <= std::chrono::milliseconds::zero()) {
    problems.emplace_back("gateway.upstream_timeout_ms: must be positive");
  }
  return problems;
}

GatewayRoutes::GatewayRoutes(GatewayOptions options, net::HttpClient& client)
    : options_(std::move(options)), client_(client) {
  if (const auto problems = validate(options_); !problems.empty()) {
    throw std::invalid_argument(problems.front());
  }
  for (const std::string_view name : routedServices()) {
    auto service = std::make_unique<Service>();
    service->name = std::string(name);
    for (const std::string& url : options_.service_urls.find(name)->second) {
      service->urls.push_back(baseUrl(url));
    }
    services_.emplace(service->name, std::move(service));
  }
}

GatewayRoutes::~GatewayRoutes() = default;

void GatewayRoutes::addRoutes(http::Router& router) {
  static constexpr std::array kMethods{http::Method::kGet, http::Method::kPost, http::Method::kPut,
                                       http::Method::kPatch, http::Method::kDelete};
  for (const RouteRule& rule : publicRoutes()) {
    const std::string service(rule.service);
    std::vector<std::string> patterns{std::string(rule.prefix)};
    // The API root owns only itself; every other prefix, everything below it.
    if (rule.prefix != "/api/v1") patterns.push_back(std::string(rule.prefix) + "/{rest...}");
    for (const std::string& pattern : patterns) {
      for (const http::Method method : kMethods) {
        router.add(method, pattern,
                   [this, service](http::Request& request) { return forward(request, service); });
      }
      // CORS preflight, answered at the edge; never a service's business.
      router.add(http::Method::kOptions, pattern,
                 [this](http::Request& request) { return preflight(request); },
                 {http::Execution::kInline});
    }
  }
}

bool GatewayRoutes::allowedOrigin(std::string_view origin) const {
  return !origin.empty() && std::find(options_.cors_origins.begin(), options_.cors_origins.end(),
                                      origin) != options_.cors_origins.end();
}

http::Response GatewayRoutes::preflight(const http::Request& request) const {
  const std::string_view origin = request.header("Origin");
  if (!allowedOrigin(origin)) {
    return problem(request, http::ApiError(403, "origin-not-allowed", "Origin not allowed",
                                           "Origin: '" + std::string(origin) +
                                               "' may not call this API from a browser",
                                           {{"Origin", "not one of gateway.cors_origins"}}));
  }
  http::Response response = http::Response::noContent();
  response.withHeader("Access-Control-Allow-Origin", std::string(origin))
      .withHeader("Access-Control-Allow-Methods", std::string(kCorsAllowMethods))
      .withHeader("Access-Control-Allow-Headers", std::string(kCorsAllowHeaders))
      .withHeader("Access-Control-Max-Age", "600")
      .withHeader("Vary", "Origin");
  decorate(request, response);
  return response;
}

http::Response GatewayRoutes::problem(const http::Request& request,
                                      const http::ApiError& error) const {
  http::Response response = http::errorResponse(error, request);
  decorate(request, response);
  return response;
}

void GatewayRoutes::decorate(const http::Request& request, http::Response& response) const {
  for (const auto& [name, value] : kSecurityHeaders) {
    if (!hasHeader(response, name)) response.withHeader(std::string(name), std::string(value));
  }
  const std::string_view origin = request.header("Origin");
  if (allowedOrigin(origin) && !hasHeader(response, "Access-Control-Allow-Origin")) {
    response.withHeader("Access-Control-Allow-Origin", std::string(origin))
        .withHeader("Access-Control-Expose-Headers", std::string(kCorsExposeHeaders))
        .withHeader("Vary", "Origin");
  }
}

void GatewayRoutes::limitAccounts(const http::Authenticator& tokens,
                                  ratelimit::RateLimiter& limiter, ratelimit::Limit limit) {
  account_limit_.emplace(AccountLimit{tokens, limiter, limit});
}

std::optional<http::Response> GatewayRoutes::accountRefusal(const http::Request& request) {
  if (!account_limit_) return std::nullopt;
  const std::string_view token = request.bearerToken();
  if (token.empty()) return std::nullopt;
  std::optional<http::Principal> principal;
  try {
    principal = account_limit_->tokens.verify(token);
  } catch (const std::exception&) {
    return std::nullopt;  // no keys to be had: the service answers for the token
  }
  if (!principal) return std::nullopt;
  const auto decision =
      account_limit_->limiter.take("gateway:account:" + principal->user_id, account_limit_->limit);
  if (decision.allowed) return std::nullopt;
  account_refusals_.fetch_add(1, std::memory_order_relaxed);
  return problem(request, http::ApiError::tooManyRequests(decision.retry_after,
                                                          "too many requests for this account"));
}

http::Response GatewayRoutes::forward(http::Request& request, std::string_view service_name) {
  if (auto refused = accountRefusal(request)) return std::move(*refused);
  const auto found = services_.find(service_name);
  if (found == services_.end()) {
    return problem(request,
                   http::ApiError::notFound("no service owns " + std::string(request.path)));
  }
  Service& service = *found->second;

  net::HttpCall call;
  call.method = std::string(http::methodName(request.method));
  call.body = std::string(request.body);
  call.request_id = std::string(request.request_id);
  call.traceparent = std::string(request.header("traceparent"));
  call.deadline = std::min(request.deadline(), Clock::now() + options_.upstream_timeout);
  for (const http::Header& header : request.headers) {
    if (oneOf(header.name, kRequestFieldsNotForwarded)) continue;
    call.headers.emplace_back(std::string(header.name), std::string(header.value));
  }
  if (!request.client_ip.empty()) {
    call.headers.emplace_back("X-Forwarded-For", std::string(request.client_ip));
  }
  // Safe to send twice: reads, and writes the service deduplicates by key.
  call.idempotent = request.method == http::Method::kGet || request.method == http::Method::kHead ||
                    !request.header("Idempotency-Key").empty();

  // Round robin; an instance that did not answer hands the call to the next
  // one when sending it again is safe (or nothing was sent: an open breaker).
  const std::size_t first = service.next.fetch_add(1, std::memory_order_relaxed);
  net::HttpReply reply;
  for (std::size_t i = 0; i < service.urls.size(); ++i) {
    call.url = service.urls[(first + i) % service.urls.size()];
    call.url += request.target;
    reply = client_.call(call);
    if (reply.answered() || reply.outcome == net::HttpReply::Outcome::kTimedOut ||
        reply.outcome == net::HttpReply::Outcome::kInvalid) {
      break;
    }
    if (!call.idempotent && reply.outcome != net::HttpReply::Outcome::kRejected) break;
  }

  http::Response response;
  switch (reply.outcome) {
    case net::HttpReply::Outcome::kAnswered: {
      service.answered.fetch_add(1, std::memory_order_relaxed);
      response.status = reply.status;
      response.content_type = knownContentType(reply.content_type);
      response.body = std::move(reply.body);
      for (auto& [name, value] : reply.headers) {
        if (oneOf(name, kResponseFieldsNotForwarded)) continue;
        response.headers.emplace_back(std::move(name), std::move(value));
      }
      compressForClient(request, response);
      break;
    }
    case net::HttpReply::Outcome::kTimedOut:
      service.timed_out.fetch_add(1, std::memory_order_relaxed);
      return problem(
          request,
          http::ApiError(504, "upstream-timeout", "Service did not answer in time",
                         "the " + service.name + " service did not answer before the deadline"));
    case net::HttpReply::Outcome::kInvalid:
      return problem(request,
                     http::ApiError::badRequest("the request cannot be forwarded: " + reply.error));
    case net::HttpReply::Outcome::kUnreachable:
    case net::HttpReply::Outcome::kRejected: {
      service.unavailable.fetch_add(1, std::memory_order_relaxed);
      http::ApiError error(503, "service-unavailable", "Service unavailable",
                           "the " + service.name + " service is not answering; try again shortly");
      error.headers().emplace_back("Retry-After", std::to_string(options_.retry_after.count()));
      return problem(request, error);
    }
  }
  decorate(request, response);
  return response;
}

void GatewayRoutes::collect(metrics::Exposition& out) const {
  static constexpr std::string_view kName = "emporium_gateway_requests_total";
  static constexpr std::string_view kHelp =
      "Requests the gateway forwarded, by owning service and outcome";
  for (const auto& [name, service] : services_) {
    out.counter(kName, kHelp, service->answered.load(std::memory_order_relaxed),
                {{"service", name}, {"outcome", "answered"}});
    out.counter(kName, kHelp, service->unavailable.load(std::memory_order_relaxed),
                {{"service", name}, {"outcome", "unavailable"}});
    out.counter(kName, kHelp, service->timed_out.load(std::memory_order_relaxed),
                {{"service", name}, {"outcome", "timed_out"}});
  }
  out.counter("emporium_gateway_account_limited_total",
              "Requests refused at the edge because their account was over its limit",
              account_refusals_.load(std::memory_order_relaxed));
}

}  // namespace emporium::gateway
