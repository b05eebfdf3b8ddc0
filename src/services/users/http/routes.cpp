#include "services/users/http/routes.hpp"

#include <cctype>

#include "core/http/api_error.hpp"
#include "core/http/field_errors.hpp"
#include "core/http/pagination.hpp"
#include "core/json/body.hpp"
#include "core/json/writer.hpp"
#include "core/util/postal_address.hpp"

namespace emporium::users {
namespace {

constexpr std::size_t kMaxAddressesPerUser = 50;
constexpr std::size_t kMaxPasswordBytes = 1024;  // as checkPassword enforces at sign-up

void writeUser(json::Writer& w, const User& user) {
  w.startObject()
      .member("id", user.id)
      .member("email", user.email)
      .member("name", user.name)
      .member("role", roleName(user.role))
      .member("created_at", user.created_at)
      .endObject();
}

// The value of cookie `name` in the request's Cookie header, or empty.
std::string_view cookie(const http::Request& req, std::string_view name) {
  std::string_view rest = req.header("Cookie");
  while (!rest.empty()) {
    const auto semi = std::min(rest.find(';'), rest.size());
    auto pair = rest.substr(0, semi);
    rest.remove_prefix(std::min(semi + 1, rest.size()));
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return {};
}

// A signed-in response remembers the client as a known device of the account
// (sign_in_guard.hpp). Secure whenever the client reached us over TLS, which
// only a proxy in front can tell.
http::Response withDeviceCookie(http::Response response, const UsersApi& api,
                                const http::Request& req, const std::string& email) {
  std::string value =
      SignInGuard::deviceCookieName(email) + '=' + api.guard.issueDeviceCookie(email) +
      "; Path=/api/v1/auth; Max-Age=" + std::to_string(api.guard.policy().device_lifetime.count()) +
      "; HttpOnly; SameSite=Strict";
  if (req.header("X-Forwarded-Proto") == "https") value += "; Secure";
  return response.withHeader("Set-Cookie", value);
}

http::Response signedInResponse(int status, const SignedIn& s) {
  json::Writer w;
  w.startObject().key("user");
  writeUser(w, s.user);
  w.member("access_token", s.access_token)
      .member("token_type", "Bearer")
      .member("expires_in", s.expires_in)
      .member("refresh_token", s.refresh_token)
      .endObject();
  return http::Response::json(status, w.str())
      .withHeader("Cache-Control", "no-store");  // tokens must not sit in caches
}

void writeAddress(json::Writer& w, const Address& a) {
  w.startObject().member("id", a.id).member("name", a.name).member("line1", a.line1);
  w.key("line2");
  a.line2 ? w.value(*a.line2) : w.null();
  w.member("city", a.city);
  w.key("region");
  a.region ? w.value(*a.region) : w.null();
  w.member("postal_code", a.postal_code)
      .member("country", a.country)
      .member("created_at", a.created_at)
      .endObject();
}

using Validation = http::FieldErrors;

void enforce(ratelimit::RateLimiter& limiter, const std::string& key,
             const ratelimit::Limit& limit) {
  const auto decision = limiter.take(key, limit);
  if (!decision.allowed)
    throw http::ApiError::tooManyRequests(decision.retry_after, "too many attempts");
}

// Password checks cost ~50 ms of CPU each: every route that runs one is
// limited per client address and per account (by email or user id). Callers
// pass only well-formed account keys, so a key's size is bounded.
void limitAuthAttempt(const UsersApi& api, const http::Request& req, const std::string& account) {
  if (!api.limits.enabled) return;
  enforce(api.limiter, "auth:ip:" + std::string(req.client_ip), api.limits.per_ip);
  if (!account.empty()) enforce(api.limiter, "auth:account:" + account, api.limits.per_account);
}

http::ApiError invalidCredentials() {
  return http::ApiError(401, "invalid-credentials", "Invalid credentials",
                        "the email or the password is wrong");
}

http::Response registerUser(const UsersApi& api, http::Request& req) {
  const auto body = json::Body::parse(req);
  const auto email = body.optionalString("email").value_or("");
  const auto password = body.optionalString("password").value_or("");
  const auto name = body.optionalString("name").value_or("");
  Validation v;
  v.check("email", checkEmail(email));
  v.check("password", checkPassword(password));
  v.check("name", name.empty() ? std::optional<std::string>("is required") : checkName(name));
  v.throwIfAny();
  limitAuthAttempt(api, req, normalizeEmail(email));
  auto result = api.auth.registerUser(email, password, name);
  if (std::holds_alternative<AuthFailure>(result)) {
    throw http::ApiError(409, "email-taken", "Email already registered",
                         "an account with this email already exists",
                         {{"email", "is already registered"}});
  }
  const auto& signed_in = std::get<SignedIn>(result);
  req.log().info("user registered", {{"user_id", signed_in.user.id}});
  return withDeviceCookie(signedInResponse(201, signed_in), api, req, normalizeEmail(email));
}

http::Response login(const UsersApi& api, http::Request& req) {
  const auto body = json::Body::parse(req);
  const auto email = body.requireString("email");
  const auto password = body.requireString("password");
  if (checkEmail(email) || password.size() > kMaxPasswordBytes) {
    // No account can match; counted per address only, never stored as a key.
    limitAuthAttempt(api, req, {});
    throw invalidCredentials();
  }
  // Per address only: an account-wide bucket taken before the password is
  // checked let anyone keep the owner out. Accounts are guarded by failures.
  limitAuthAttempt(api, req, {});
  const auto account = normalizeEmail(email);
  std::optional<SignInAdmission> admission;
  if (api.limits.enabled) {
    auto verdict =
        api.guard.admit({account, std::string(req.client_ip),
                         std::string(cookie(req, SignInGuard::deviceCookieName(account)))});
    if (const auto* refusal = std::get_if<SignInRefusal>(&verdict)) {
      throw http::ApiError::tooManyRequests(
          refusal->retry_after,
          "too many failed sign-ins for this account; sign in from a device that signed in "
          "before, or try again later");
    }
    admission = std::get<SignInAdmission>(std::move(verdict));
  }
  auto result = api.auth.login(email, password);
  if (std::holds_alternative<AuthFailure>(result)) throw invalidCredentials();
  if (admission) api.guard.succeeded(*admission);
  return withDeviceCookie(signedInResponse(200, std::get<SignedIn>(result)), api, req, account);
}

http::Response refresh(const UsersApi& api, http::Request& req) {
  const auto token = json::Body::parse(req).requireString("refresh_token");
  auto result = api.auth.refresh(token);
  if (std::holds_alternative<AuthFailure>(result)) {
    throw http::ApiError(401, "invalid-refresh-token", "Invalid refresh token",
                         "the refresh token is unknown, expired, revoked or already used");
  }
  return signedInResponse(200, std::get<SignedIn>(result));
}

http::Response logout(const UsersApi& api, http::Request& req) {
  api.auth.logout(json::Body::parse(req).requireString("refresh_token"));
  return http::Response::noContent();
}

http::Response me(const UsersApi& api, const http::Request& req) {
  const auto user = api.users.findById(req.user().user_id);
  if (!user) throw http::ApiError::unauthorized("this account no longer exists");
  json::Writer w;
  writeUser(w, *user);
  return http::Response::json(200, w.str());
}

http::Response patchMe(const UsersApi& api, http::Request& req) {
  const auto body = json::Body::parse(req);
  const auto name = body.optionalString("name");
  const auto password = body.optionalString("password");
  const auto current = body.optionalString("current_password");
  Validation v;
  if (name) v.check("name", checkName(*name));
  if (password) {
    v.check("password", checkPassword(*password));
    if (!current) v.fail("current_password", "is required to change the password");
  }
  v.throwIfAny();
  const auto& user_id = req.user().user_id;
  if (password) limitAuthAttempt(api, req, user_id);
  if (password && !api.auth.changePassword(user_id, *current, *password)) {
    throw http::ApiError::validation("current_password", "is wrong");
  }
  if (name) api.users.setName(user_id, *name);
  return me(api, req);
}

http::Response listAddresses(const UsersApi& api, const http::Request& req) {
  json::Writer w;
  w.startObject().key("items").startArray();
  for (const auto& a : api.addresses.list(req.user().user_id)) writeAddress(w, a);
  w.endArray().key("next_cursor").null().endObject();
  return http::Response::json(200, w.str());
}

http::Response addAddress(const UsersApi& api, http::Request& req) {
  const auto body = json::Body::parse(req);
  Address a;
  a.name = body.optionalString("name").value_or("");
  a.line1 = body.optionalString("line1").value_or("");
  a.line2 = body.optionalString("line2");
  a.city = body.optionalString("city").value_or("");
  a.region = body.optionalString("region");
  a.postal_code = body.optionalString("postal_code").value_or("");
  a.country = body.optionalString("country").value_or("");
  // The rule inline checkout addresses obey too (core/util/postal_address.hpp).
  util::PostalAddress postal{a.name, a.line1, a.line2, a.city, a.region, a.postal_code, a.country};
  Validation v;
  for (auto& problem : util::checkPostalAddress(postal)) v.fail(problem.field, problem.message);
  a.country = postal.country;
  v.throwIfAny();
  const auto added = api.addresses.add(req.user().user_id, std::move(a), kMaxAddressesPerUser);
  if (!added) {
    throw http::ApiError(422, "too-many-addresses", "Too many addresses",
                         "an account can keep at most 50 addresses; delete one first");
  }
  json::Writer w;
  writeAddress(w, *added);
  return http::Response::json(201, w.str());
}

http::Response deleteAddress(const UsersApi& api, const http::Request& req) {
  if (!api.addresses.remove(req.user().user_id, std::string(req.pathParam("id")))) {
    throw http::ApiError::notFound("no address " + std::string(req.pathParam("id")));
  }
  return http::Response::noContent();
}

http::Response adminListUsers(const UsersApi& api, const http::Request& req) {
  const auto limit = http::pageLimit(req);
  const auto cursor = http::pageCursor(req);
  // One row more than asked tells whether another page exists.
  auto users = api.users.listNewestFirst(cursor, limit + 1);
  const bool more = users.size() > limit;
  if (more) users.resize(limit);
  json::Writer w;
  w.startObject().key("items").startArray();
  for (const auto& u : users) writeUser(w, u);
  w.endArray().key("next_cursor");
  more ? w.value(http::encodeCursor(users.back().id)) : w.null();
  w.endObject();
  return http::Response::json(200, w.str());
}

}  // namespace

void addRoutes(http::Router& router, const UsersApi& api) {
  using http::Access;
  using http::Execution;
  using http::Method;
  const http::RouteOptions pub{Execution::kBlocking, Access::kPublic, true};
  const http::RouteOptions user{Execution::kBlocking, Access::kUser, true};
  const auto* a = &api;
  router.add(
      Method::kPost, "/api/v1/auth/register", [a](http::Request& r) { return registerUser(*a, r); },
      pub);
  router.add(
      Method::kPost, "/api/v1/auth/login", [a](http::Request& r) { return login(*a, r); }, pub);
  router.add(
      Method::kPost, "/api/v1/auth/refresh", [a](http::Request& r) { return refresh(*a, r); }, pub);
  router.add(
      Method::kPost, "/api/v1/auth/logout", [a](http::Request& r) { return logout(*a, r); }, pub);
  router.add(
      Method::kGet, "/api/v1/me", [a](http::Request& r) { return me(*a, r); }, user);
  router.add(
      Method::kPatch, "/api/v1/me", [a](http::Request& r) { return patchMe(*a, r); }, user);
  router.add(
      Method::kGet, "/api/v1/me/addresses", [a](http::Request& r) { return listAddresses(*a, r); },
      user);
  router.add(
      Method::kPost, "/api/v1/me/addresses", [a](http::Request& r) { return addAddress(*a, r); },
      user);
  router.add(
      Method::kDelete, "/api/v1/me/addresses/{id}",
      [a](http::Request& r) { return deleteAddress(*a, r); }, user);
  router.add(Method::kGet, "/api/v1/admin/users",
             [a](http::Request& r) { return adminListUsers(*a, r); },
             {Execution::kBlocking, Access::kAdmin, true});
  // Public keys for other services (and anyone) to verify access tokens offline.
  router.add(
      Method::kGet, "/.well-known/jwks.json",
      [a](http::Request&) {
        return http::Response::json(200, a->keys.jwks()).withHeader("Cache-Control", "max-age=60");
      },
      {Execution::kInline, Access::kPublic, false});
}

}  // namespace emporium::users
