// The users/auth HTTP API end to end, on both SQL backends: the real emporium
// binary as a child process, spoken to over raw sockets, checked against the
// contract (../shared/design/api.md "Conventions" and "Users and auth").

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <utility>

#include "e2e/process.hpp"
#include "support/http_client.hpp"

namespace emporium::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Fields = std::set<std::string>;
using Headers = std::map<std::string, std::string>;

constexpr char kProblemJson[] = "application/problem+json";
constexpr char kPassword[] = "correct-horse-42";

// services/users/http/routes.hpp AuthLimits: per client address 10 at once, then one every
// 6 s. SignInGuard: 5 failed sign-ins per (account, address) an hour.
constexpr int kAuthPerIpBurst = 10;
constexpr int kAuthPerIpRefillSeconds = 6;
constexpr int kFailuresPerAccountAddress = 5;

rapidjson::Document parseJson(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  EXPECT_FALSE(d.HasParseError()) << body;
  return d;
}

// The bytes of a string member ("" and a failure when absent or not a string).
std::string text(const rapidjson::Value& object, const char* member) {
  if (!object.IsObject() || !object.HasMember(member) || !object[member].IsString()) {
    ADD_FAILURE() << "no string member " << member;
    return {};
  }
  return {object[member].GetString(), object[member].GetStringLength()};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A JSON object of string members, escaped by RapidJSON (control characters and NUL included).
std::string jsonObject(std::initializer_list<std::pair<const char*, std::string>> members) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  for (const auto& [key, value] : members) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string registerBody(const std::string& email, const std::string& password,
                         const std::string& name) {
  return jsonObject({{"email", email}, {"password", password}, {"name", name}});
}

std::string base64Url(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  return out;
}

bool isRfc3339Utc(const std::string& s) {
  static const std::regex kPattern(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$)");
  return std::regex_match(s, kPattern);
}

// An RFC 9457 problem with the given status: the media type and the members the contract names.
::testing::AssertionResult isProblem(const HttpReply& r, int status) {
  if (r.status != status) {
    return ::testing::AssertionFailure()
           << "status " << r.status << ", expected " << status << ": " << r.body;
  }
  if (r.header("content-type") != kProblemJson) {
    return ::testing::AssertionFailure() << "content-type '" << r.header("content-type") << "'";
  }
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (d.HasParseError() || !d.IsObject()) {
    return ::testing::AssertionFailure() << "not a JSON object: " << r.body;
  }
  for (const char* member : {"type", "title", "detail"}) {
    if (!d.HasMember(member) || !d[member].IsString()) {
      return ::testing::AssertionFailure() << "no string '" << member << "': " << r.body;
    }
  }
  if (!d.HasMember("status") || !d["status"].IsInt() || d["status"].GetInt() != status) {
    return ::testing::AssertionFailure() << "body status does not match: " << r.body;
  }
  return ::testing::AssertionSuccess();
}

// The fields named by errors[] of a problem body.
Fields errorFields(const HttpReply& r) {
  Fields fields;
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("errors") || !d["errors"].IsArray()) {
    return fields;
  }
  for (const auto& e : d["errors"].GetArray()) {
    if (e.IsObject() && e.HasMember("field") && e["field"].IsString()) {
      fields.insert(e["field"].GetString());
      EXPECT_TRUE(e.HasMember("message") && e["message"].IsString()) << r.body;
    }
  }
  return fields;
}

// Retry-After as integer seconds; -1 when absent or not an integer.
int retryAfter(const HttpReply& r) {
  const auto v = r.header("retry-after");
  if (v.empty() ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); }))
    return -1;
  return std::stoi(v);
}

// name: nullopt when the test did not choose it (`emporium user create` derives one).
void expectUser(const rapidjson::Value& u, const std::string& email,
                const std::optional<std::string>& name, const std::string& role) {
  ASSERT_TRUE(u.IsObject());
  EXPECT_FALSE(text(u, "id").empty());
  EXPECT_EQ(lower(text(u, "email")), lower(email));
  if (name) {
    EXPECT_EQ(text(u, "name"), *name);  // byte for byte
  } else {
    EXPECT_TRUE(u.HasMember("name") && u["name"].IsString());
  }
  EXPECT_EQ(text(u, "role"), role);
  EXPECT_TRUE(isRfc3339Utc(text(u, "created_at"))) << text(u, "created_at");
}

struct Session {
  std::string user_id;
  std::string access;
  std::string refresh;
};

enum class Backend { kSqlite, kPostgres };

class UsersApiBase : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto setup = prepareBackend(GetParam() == Backend::kPostgres, "e2e_users");
    if (!setup) {
      if (required("EMPORIUM_REQUIRE_POSTGRES")) FAIL() << "EMPORIUM_TEST_POSTGRES_URL is not set";
      GTEST_SKIP() << "EMPORIUM_TEST_POSTGRES_URL not set";
    }
    data_dir_ = setup->data_dir;
    env_ = setup->env;
  }

  void TearDown() override {
    // No error body ever carries a token, whichever was sent or issued.
    for (const auto& body : error_bodies_) {
      for (const auto& token : tokens_) {
        EXPECT_EQ(body.find(token), std::string::npos) << "token leaked into: " << body;
      }
    }
    server_.reset();
    releaseBackend(data_dir_, env_);
  }

  std::vector<std::string> cmd(std::initializer_list<std::string> args) const {
    std::vector<std::string> v{EMPORIUM_BINARY};
    v.insert(v.end(), args);
    return v;
  }

  void serve(const Headers& extra = {}) {
    auto e = env_;
    for (const auto& [k, v] : extra) e[k] = v;
    auto served = startServe(EMPORIUM_BINARY, {}, e);
    server_ = std::move(served.child);
    port_ = served.port;
    ASSERT_NE(port_, 0) << "emporium did not become healthy:\n" << server_->output();
  }

  // `emporium user create` against the same data as the server.
  void createUser(const std::string& email, const std::string& password, bool admin) {
    auto args = admin ? cmd({"user", "create", "--admin", "--email", email, "--password", password})
                      : cmd({"user", "create", "--email", email, "--password", password});
    const auto created = runProcess(args, env_);
    ASSERT_EQ(created.exit_code, 0) << created.output;
  }

  HttpReply call(const std::string& method, const std::string& path, const std::string& body = {},
                 const Headers& headers = {}) {
    auto reply = httpRequest(port_, method, path, body, headers);
    if (reply.status >= 400) error_bodies_.push_back(reply.body);
    return reply;
  }

  HttpReply send(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& token = {}) {
    Headers h{{"Content-Type", "application/json"}};
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    return call(method, path, body, h);
  }

  HttpReply get(const std::string& path, const std::string& token = {}) {
    Headers h;
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    return call("GET", path, {}, h);
  }

  HttpReply del(const std::string& path, const std::string& token) {
    return call("DELETE", path, {}, {{"Authorization", "Bearer " + token}});
  }

  HttpReply registerUser(const std::string& email, const std::string& password,
                         const std::string& name) {
    return send("POST", "/api/v1/auth/register", registerBody(email, password, name));
  }

  HttpReply login(const std::string& email, const std::string& password) {
    return send("POST", "/api/v1/auth/login",
                jsonObject({{"email", email}, {"password", password}}));
  }

  HttpReply refresh(const std::string& refresh_token) {
    return send("POST", "/api/v1/auth/refresh", jsonObject({{"refresh_token", refresh_token}}));
  }

  // Checks a register/login/refresh answer against the contract and keeps its tokens.
  Session signedIn(const HttpReply& r, int status, const std::string& email,
                   const std::optional<std::string>& name, const std::string& role = "customer") {
    Session s;
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0U)
        << r.header("content-type");
    const auto d = parseJson(r.body);
    if (!d.IsObject() || !d.HasMember("user")) {
      ADD_FAILURE() << "no user in " << r.body;
      return s;
    }
    expectUser(d["user"], email, name, role);
    s.user_id = text(d["user"], "id");
    s.access = text(d, "access_token");
    s.refresh = text(d, "refresh_token");
    EXPECT_FALSE(s.access.empty());
    EXPECT_FALSE(s.refresh.empty());
    EXPECT_TRUE(d.HasMember("expires_in") && d["expires_in"].IsInt64() &&
                d["expires_in"].GetInt64() > 0)
        << r.body;
    tokens_.insert(s.access);
    tokens_.insert(s.refresh);
    return s;
  }

  Session signUp(const std::string& email, const std::string& name = "Test User",
                 const std::string& password = kPassword) {
    return signedIn(registerUser(email, password, name), 201, email, name);
  }

  fs::path data_dir_;
  std::map<std::string, std::string> env_;
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> server_;
  std::vector<std::string> error_bodies_;
  std::set<std::string> tokens_;
};

// One server per test with rate limits off, so tests may sign in as often as they like.
class UsersApiTest : public UsersApiBase {
 protected:
  void SetUp() override {
    UsersApiBase::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(serve({{"EMPORIUM_RATE_LIMITS", "off"}}));
  }
};

// Each test starts its own server, with rate limits on.
class UsersRateLimitTest : public UsersApiBase {};

// ---------------------------------------------------------------------------------------------
// Register

TEST_P(UsersApiTest, RegisterReturnsTheUserAndATokenPair) {
  const auto r = registerUser("Alice@Example.com", kPassword, "Alice Liddell");
  const auto s = signedIn(r, 201, "Alice@Example.com", "Alice Liddell");
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_NE(s.access, s.refresh);
}

TEST_P(UsersApiTest, RegisterRefusesAnEmailTakenInAnyCase) {
  signUp("bob@example.com");
  const auto again = registerUser("BOB@Example.COM", "another-secret-9", "Other Bob");
  EXPECT_TRUE(isProblem(again, 409));
  EXPECT_EQ(errorFields(again), Fields{"email"});
}

TEST_P(UsersApiTest, RegisterNamesEveryInvalidField) {
  const auto bad_email = registerUser("not-an-email", kPassword, "Name");
  EXPECT_TRUE(isProblem(bad_email, 422));
  EXPECT_EQ(errorFields(bad_email), Fields{"email"});

  const auto short_password = registerUser("short@example.com", "1234567", "Name");
  EXPECT_TRUE(isProblem(short_password, 422));
  EXPECT_EQ(errorFields(short_password), Fields{"password"});

  const auto common_password = registerUser("common@example.com", "password123", "Name");
  EXPECT_TRUE(isProblem(common_password, 422));
  EXPECT_EQ(errorFields(common_password), Fields{"password"});

  const auto no_name = send("POST", "/api/v1/auth/register",
                            jsonObject({{"email", "noname@example.com"}, {"password", kPassword}}));
  EXPECT_TRUE(isProblem(no_name, 422));
  EXPECT_EQ(errorFields(no_name), Fields{"name"});

  // All three wrong at once: all three named in one answer.
  const auto all = send("POST", "/api/v1/auth/register",
                        jsonObject({{"email", "@nowhere"}, {"password", "short"}}));
  EXPECT_TRUE(isProblem(all, 422));
  EXPECT_EQ(errorFields(all), (Fields{"email", "password", "name"}));

  // None of them created an account.
  EXPECT_EQ(login("short@example.com", "1234567").status, 401);
  EXPECT_EQ(login("common@example.com", "password123").status, 401);
  EXPECT_EQ(login("noname@example.com", kPassword).status, 401);
}

TEST_P(UsersApiTest, RegisterNamesAFieldOfTheWrongJsonType) {
  const std::pair<std::string, std::string> cases[] = {
      {"email", R"({"email":5,"password":"correct-horse-42","name":"N"})"},
      {"name", R"({"email":"t1@example.com","password":"correct-horse-42","name":[]})"},
      {"password", R"({"email":"t2@example.com","password":true,"name":"N"})"},
  };
  for (const auto& [field, body] : cases) {
    const auto r = send("POST", "/api/v1/auth/register", body);
    EXPECT_TRUE(isProblem(r, 422)) << body;
    EXPECT_EQ(errorFields(r), Fields{field}) << body;
  }
}

TEST_P(UsersApiTest, RegisterRefusesBodiesThatAreNotAJsonObject) {
  for (const std::string body : {R"({"email":"x@example.com","password":)", "{", "nonsense",
                                 "[1,2,3]", R"("a string")", "42", "null", ""}) {
    const auto r = send("POST", "/api/v1/auth/register", body);
    EXPECT_TRUE(isProblem(r, 400)) << "body: " << body;
  }
  // Invalid UTF-8 inside a JSON string, raw and as a lone surrogate escape.
  const auto raw = send("POST", "/api/v1/auth/register",
                        "{\"email\":\"u8@example.com\",\"password\":\"correct-horse-42\","
                        "\"name\":\"bad \xff\xfe bytes\"}");
  EXPECT_TRUE(isProblem(raw, 400));
  const auto surrogate = send("POST", "/api/v1/auth/register",
                              R"({"email":"u9@example.com","password":"correct-horse-42",)"
                              R"("name":"half \ud800 a pair"})");
  EXPECT_TRUE(isProblem(surrogate, 400));
  EXPECT_EQ(login("u8@example.com", kPassword).status, 401);
  EXPECT_EQ(login("u9@example.com", kPassword).status, 401);
}

TEST_P(UsersApiTest, RegisterChecksTheMediaTypeAndTheBodySize) {
  // A declared non-JSON media type is refused.
  const auto body = registerBody("media@example.com", kPassword, "Media");
  const auto plain = call("POST", "/api/v1/auth/register", body, {{"Content-Type", "text/plain"}});
  EXPECT_TRUE(isProblem(plain, 415));
  const auto form = call("POST", "/api/v1/auth/register", body,
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_TRUE(isProblem(form, 415));

  // No Content-Type at all: the server reads the body as JSON (core/json/body.cpp,
  // isJsonContentType treats an absent header as JSON on purpose).
  HttpConnection conn("127.0.0.1", port_);
  conn.sendRaw("POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
  const auto bare = conn.readReply();
  ASSERT_TRUE(bare.has_value());
  signedIn(*bare, 201, "media@example.com", "Media");

  // Over 1 MiB: refused from the declared length alone, before the body is read.
  HttpConnection big_conn("127.0.0.1", port_);
  big_conn.sendRaw(
      "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048577\r\n\r\n");
  const auto big = big_conn.readReply();
  ASSERT_TRUE(big.has_value());
  EXPECT_TRUE(isProblem(*big, 413));
}

TEST_P(UsersApiTest, RegisterHandlesUnicodeEdgeCases) {
  // "Zoë 🛒 Ωμέγα", spelled as UTF-8 bytes.
  const std::string name = "Zo\xC3\xAB \xF0\x9F\x9B\x92 \xCE\xA9\xCE\xBC\xCE\xAD\xCE\xB3\xCE\xB1";
  const auto s = signUp("zoe@example.com", name);
  const auto me = get("/api/v1/me", s.access);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(text(parseJson(me.body), "name"), name);

  const auto bell = registerUser("bell@example.com", kPassword, "ring \a ring");
  EXPECT_TRUE(isProblem(bell, 422));
  EXPECT_EQ(errorFields(bell), Fields{"name"});

  const auto nul = registerUser(std::string("nul\0x@example.com", 17), kPassword, "Nul");
  EXPECT_TRUE(isProblem(nul, 422));
  EXPECT_EQ(errorFields(nul), Fields{"email"});

  const auto long_name = registerUser("long@example.com", kPassword, std::string(10 * 1024, 'n'));
  EXPECT_TRUE(isProblem(long_name, 422));
  EXPECT_EQ(errorFields(long_name), Fields{"name"});
}

// ---------------------------------------------------------------------------------------------
// Login

TEST_P(UsersApiTest, LoginReturnsTheSameShapeAsRegister) {
  const auto registered = signUp("carol@example.com", "Carol");
  const auto s = signedIn(login("carol@example.com", kPassword), 200, "carol@example.com", "Carol");
  EXPECT_EQ(s.user_id, registered.user_id);
  EXPECT_NE(s.refresh, registered.refresh);
}

TEST_P(UsersApiTest, LoginMatchesTheEmailCaseInsensitively) {
  const auto registered = signUp("Dave@Example.com", "Dave");
  const auto s = signedIn(login("dAVE@EXAMPLE.COM", kPassword), 200, "dave@example.com", "Dave");
  EXPECT_EQ(s.user_id, registered.user_id);
}

TEST_P(UsersApiTest, LoginFailuresDoNotRevealWhichPartWasWrong) {
  signUp("erin@example.com", "Erin");
  const auto wrong_password = login("erin@example.com", "not-the-password");
  const auto unknown_email = login("nobody@example.com", kPassword);
  EXPECT_TRUE(isProblem(wrong_password, 401));
  EXPECT_TRUE(isProblem(unknown_email, 401));

  auto a = parseJson(wrong_password.body);
  auto b = parseJson(unknown_email.body);
  for (auto* d : {&a, &b}) {
    d->RemoveMember("request_id");
    d->RemoveMember("instance");
  }
  EXPECT_TRUE(a == b) << wrong_password.body << "\nvs\n" << unknown_email.body;
  EXPECT_EQ(wrong_password.header("www-authenticate"), unknown_email.header("www-authenticate"));

  const auto missing = send("POST", "/api/v1/auth/login", R"({"email":"erin@example.com"})");
  EXPECT_TRUE(isProblem(missing, 422));
  EXPECT_EQ(errorFields(missing), Fields{"password"});
}

// ---------------------------------------------------------------------------------------------
// Tokens

TEST_P(UsersApiTest, MeReturnsTheSignedInUser) {
  const auto s = signUp("frank@example.com", "Frank");
  const auto me = get("/api/v1/me", s.access);
  ASSERT_EQ(me.status, 200) << me.body;
  const auto d = parseJson(me.body);
  expectUser(d, "frank@example.com", "Frank", "customer");
  EXPECT_EQ(text(d, "id"), s.user_id);
}

TEST_P(UsersApiTest, MeRefusesMissingAndInvalidTokens) {
  const auto s = signUp("grace@example.com", "Grace");

  const auto none = get("/api/v1/me");
  EXPECT_TRUE(isProblem(none, 401));
  EXPECT_EQ(none.header("www-authenticate").rfind("Bearer", 0), 0U)
      << none.header("www-authenticate");

  const auto first_dot = s.access.find('.');
  const auto second_dot = s.access.find('.', first_dot + 1);
  ASSERT_NE(second_dot, std::string::npos) << s.access;
  const auto payload = s.access.substr(first_dot + 1, second_dot - first_dot - 1);

  // One payload character changed: the signature no longer matches.
  std::string tampered = s.access;
  char& c = tampered[first_dot + 1 + payload.size() / 2];
  c = c == 'A' ? 'B' : 'A';
  // The genuine claims under {"alg":"none"} and no signature.
  const std::string unsigned_token =
      base64Url(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  tokens_.insert(tampered);
  tokens_.insert(unsigned_token);

  const std::pair<const char*, std::string> cases[] = {
      {"garbage", "Bearer not.a-jwt"},
      {"tampered payload", "Bearer " + tampered},
      {"alg none", "Bearer " + unsigned_token},
      {"basic scheme", "Basic xyz"},
      {"refresh token as access token", "Bearer " + s.refresh},
  };
  for (const auto& [what, authorization] : cases) {
    const auto r = call("GET", "/api/v1/me", {}, {{"Authorization", authorization}});
    EXPECT_TRUE(isProblem(r, 401)) << what;
    EXPECT_FALSE(r.header("www-authenticate").empty()) << what;
  }
  EXPECT_EQ(get("/api/v1/me", s.access).status, 200);
}

TEST_P(UsersApiTest, RefreshRotatesAndReplayRevokesTheFamily) {
  const auto first = signUp("heidi@example.com", "Heidi");

  const auto second = signedIn(refresh(first.refresh), 200, "heidi@example.com", "Heidi");
  EXPECT_NE(second.refresh, first.refresh);
  EXPECT_NE(second.access, first.access);
  EXPECT_EQ(second.user_id, first.user_id);
  EXPECT_EQ(get("/api/v1/me", second.access).status, 200);

  const auto third = signedIn(refresh(second.refresh), 200, "heidi@example.com", "Heidi");
  EXPECT_NE(third.refresh, second.refresh);

  // A used token is refused, and presenting it revokes the family: the live successor too.
  EXPECT_TRUE(isProblem(refresh(first.refresh), 401));
  EXPECT_TRUE(isProblem(refresh(third.refresh), 401));
  EXPECT_TRUE(isProblem(refresh(second.refresh), 401));

  // Another sign-in starts a family of its own.
  const auto other =
      signedIn(login("heidi@example.com", kPassword), 200, "heidi@example.com", "Heidi");
  signedIn(refresh(other.refresh), 200, "heidi@example.com", "Heidi");

  EXPECT_TRUE(isProblem(refresh("rt_not-a-token"), 401));
  const auto missing = send("POST", "/api/v1/auth/refresh", "{}");
  EXPECT_TRUE(isProblem(missing, 422));
  EXPECT_EQ(errorFields(missing), Fields{"refresh_token"});
}

TEST_P(UsersApiTest, LogoutEndsTheRefreshToken) {
  const auto s = signUp("ivan@example.com", "Ivan");
  const auto out = send("POST", "/api/v1/auth/logout", jsonObject({{"refresh_token", s.refresh}}));
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_TRUE(out.body.empty());
  EXPECT_TRUE(isProblem(refresh(s.refresh), 401));
}

// ---------------------------------------------------------------------------------------------
// PATCH /api/v1/me

TEST_P(UsersApiTest, PatchMeChangesTheName) {
  const auto s = signUp("judy@example.com", "Judy");
  const auto patched = send("PATCH", "/api/v1/me", jsonObject({{"name", "Judith Q."}}), s.access);
  ASSERT_EQ(patched.status, 200) << patched.body;
  expectUser(parseJson(patched.body), "judy@example.com", "Judith Q.", "customer");
  EXPECT_EQ(text(parseJson(get("/api/v1/me", s.access).body), "name"), "Judith Q.");

  const auto control = send("PATCH", "/api/v1/me", jsonObject({{"name", "tab\there"}}), s.access);
  EXPECT_TRUE(isProblem(control, 422));
  EXPECT_EQ(errorFields(control), Fields{"name"});
  const auto mistyped = send("PATCH", "/api/v1/me", R"({"name":5})", s.access);
  EXPECT_TRUE(isProblem(mistyped, 422));
  EXPECT_EQ(errorFields(mistyped), Fields{"name"});
  EXPECT_TRUE(isProblem(send("PATCH", "/api/v1/me", jsonObject({{"name", "X"}})), 401));
  EXPECT_EQ(text(parseJson(get("/api/v1/me", s.access).body), "name"), "Judith Q.");
}

TEST_P(UsersApiTest, PatchMeChangesThePasswordOnlyWithTheCurrentOne) {
  const std::string email = "mallory@example.com";
  const std::string new_password = "brand-new-secret-7";
  const auto registered = signUp(email, "Mallory");
  const auto logged_in = signedIn(login(email, kPassword), 200, email, "Mallory");

  const auto without =
      send("PATCH", "/api/v1/me", jsonObject({{"password", new_password}}), logged_in.access);
  EXPECT_TRUE(isProblem(without, 422));
  EXPECT_EQ(errorFields(without), Fields{"current_password"});

  const auto wrong =
      send("PATCH", "/api/v1/me",
           jsonObject({{"password", new_password}, {"current_password", "nope-nope-1"}}),
           logged_in.access);
  EXPECT_TRUE(isProblem(wrong, 422));
  EXPECT_EQ(errorFields(wrong), Fields{"current_password"});
  // The refused attempts changed nothing.
  signedIn(login(email, kPassword), 200, email, "Mallory");

  const auto changed = send(
      "PATCH", "/api/v1/me",
      jsonObject({{"password", new_password}, {"current_password", kPassword}}), logged_in.access);
  ASSERT_EQ(changed.status, 200) << changed.body;
  expectUser(parseJson(changed.body), email, "Mallory", "customer");

  signedIn(login(email, new_password), 200, email, "Mallory");
  EXPECT_TRUE(isProblem(login(email, kPassword), 401));
  // Every session from before the change is over.
  EXPECT_TRUE(isProblem(refresh(registered.refresh), 401));
  EXPECT_TRUE(isProblem(refresh(logged_in.refresh), 401));
}

// ---------------------------------------------------------------------------------------------
// Addresses

TEST_P(UsersApiTest, AddressesAreCreatedAndListed) {
  const auto s = signUp("olivia@example.com", "Olivia");
  const auto empty = get("/api/v1/me/addresses", s.access);
  ASSERT_EQ(empty.status, 200) << empty.body;
  const auto e = parseJson(empty.body);
  EXPECT_EQ(e["items"].Size(), 0U);
  EXPECT_TRUE(e["next_cursor"].IsNull());

  const auto full = send("POST", "/api/v1/me/addresses",
                         jsonObject({{"name", "Olivia Home"},
                                     {"line1", "Hauptstr. 1"},
                                     {"line2", "Hinterhaus"},
                                     {"city", "Berlin"},
                                     {"region", "BE"},
                                     {"postal_code", "10115"},
                                     {"country", "de"}}),
                         s.access);
  ASSERT_EQ(full.status, 201) << full.body;
  const auto a = parseJson(full.body);
  const auto id = text(a, "id");
  EXPECT_FALSE(id.empty());
  EXPECT_EQ(text(a, "name"), "Olivia Home");
  EXPECT_EQ(text(a, "line1"), "Hauptstr. 1");
  EXPECT_EQ(text(a, "line2"), "Hinterhaus");
  EXPECT_EQ(text(a, "city"), "Berlin");
  EXPECT_EQ(text(a, "region"), "BE");
  EXPECT_EQ(text(a, "postal_code"), "10115");
  EXPECT_EQ(text(a, "country"), "DE");

  const auto minimal = send("POST", "/api/v1/me/addresses",
                            jsonObject({{"name", "Office"},
                                        {"line1", "1 Main St"},
                                        {"city", "Springfield"},
                                        {"postal_code", "12345"},
                                        {"country", "US"}}),
                            s.access);
  ASSERT_EQ(minimal.status, 201) << minimal.body;
  const auto m = parseJson(minimal.body);
  for (const char* optional : {"line2", "region"}) {
    EXPECT_TRUE(!m.HasMember(optional) || m[optional].IsNull()) << optional << ": " << minimal.body;
  }

  const auto list = get("/api/v1/me/addresses", s.access);
  ASSERT_EQ(list.status, 200) << list.body;
  const auto l = parseJson(list.body);
  ASSERT_TRUE(l["items"].IsArray());
  ASSERT_EQ(l["items"].Size(), 2U) << list.body;
  EXPECT_TRUE(l["next_cursor"].IsNull());
  std::set<std::string> ids;
  for (const auto& item : l["items"].GetArray()) ids.insert(text(item, "id"));
  EXPECT_EQ(ids, (std::set<std::string>{id, text(m, "id")}));

  EXPECT_TRUE(isProblem(get("/api/v1/me/addresses"), 401));
}

TEST_P(UsersApiTest, AddressValidationNamesEachField) {
  const auto s = signUp("peggy@example.com", "Peggy");
  const auto all = send("POST", "/api/v1/me/addresses",
                        jsonObject({{"name", "Peggy"}, {"country", "Germany"}}), s.access);
  EXPECT_TRUE(isProblem(all, 422));
  EXPECT_EQ(errorFields(all), (Fields{"line1", "city", "postal_code", "country"}));

  const std::map<std::string, std::string> valid{{"name", "Peggy"},
                                                 {"line1", "Main St 5"},
                                                 {"city", "Paris"},
                                                 {"postal_code", "75001"},
                                                 {"country", "FR"}};
  for (const auto* field : {"line1", "city", "postal_code", "country"}) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    for (const auto& [k, v] : valid) {
      if (k == field) continue;
      w.Key(k.c_str());
      w.String(v.c_str());
    }
    w.EndObject();
    const auto r = send("POST", "/api/v1/me/addresses", buffer.GetString(), s.access);
    EXPECT_TRUE(isProblem(r, 422)) << field;
    EXPECT_EQ(errorFields(r), Fields{field});
  }
  const auto country = send("POST", "/api/v1/me/addresses",
                            jsonObject({{"name", "Peggy"},
                                        {"line1", "Main St 5"},
                                        {"city", "Paris"},
                                        {"postal_code", "75001"},
                                        {"country", "Germany"}}),
                            s.access);
  EXPECT_TRUE(isProblem(country, 422));
  EXPECT_EQ(errorFields(country), Fields{"country"});

  EXPECT_EQ(parseJson(get("/api/v1/me/addresses", s.access).body)["items"].Size(), 0U);
}

TEST_P(UsersApiTest, AddressesBelongToTheirOwner) {
  const auto a = signUp("quentin@example.com", "Quentin");
  const auto b = signUp("rupert@example.com", "Rupert");
  const auto added = send("POST", "/api/v1/me/addresses",
                          jsonObject({{"name", "Q"},
                                      {"line1", "Q Lane 1"},
                                      {"city", "Quito"},
                                      {"postal_code", "170150"},
                                      {"country", "EC"}}),
                          a.access);
  ASSERT_EQ(added.status, 201) << added.body;
  const auto id = text(parseJson(added.body), "id");
  const auto path = "/api/v1/me/addresses/" + id;

  EXPECT_EQ(parseJson(get("/api/v1/me/addresses", b.access).body)["items"].Size(), 0U);
  EXPECT_TRUE(isProblem(del(path, b.access), 404));
  EXPECT_EQ(parseJson(get("/api/v1/me/addresses", a.access).body)["items"].Size(), 1U);

  const auto removed = del(path, a.access);
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_TRUE(removed.body.empty());
  EXPECT_TRUE(isProblem(del(path, a.access), 404));
  EXPECT_EQ(parseJson(get("/api/v1/me/addresses", a.access).body)["items"].Size(), 0U);
  EXPECT_TRUE(isProblem(del("/api/v1/me/addresses/adr_does_not_exist", a.access), 404));
}

// ---------------------------------------------------------------------------------------------
// SQL injection strings are data

TEST_P(UsersApiTest, SqlInjectionStringsAreStoredVerbatim) {
  const std::string name = "Robert'); DROP TABLE users;--";
  const std::string line1 = "' OR '1'='1";
  const std::string city = "\"; DELETE FROM addresses; --";
  const auto bobby = signUp("bobby@example.com", name);
  const auto other = signUp("other@example.com", "Other");
  ASSERT_EQ(send("POST", "/api/v1/me/addresses",
                 jsonObject({{"name", "O"},
                             {"line1", "Elm St 2"},
                             {"city", "Oslo"},
                             {"postal_code", "0150"},
                             {"country", "NO"}}),
                 other.access)
                .status,
            201);

  EXPECT_EQ(text(parseJson(get("/api/v1/me", bobby.access).body), "name"), name);
  const auto added = send("POST", "/api/v1/me/addresses",
                          jsonObject({{"name", name},
                                      {"line1", line1},
                                      {"city", city},
                                      {"postal_code", "' --"},
                                      {"country", "GB"}}),
                          bobby.access);
  ASSERT_EQ(added.status, 201) << added.body;
  const auto list = parseJson(get("/api/v1/me/addresses", bobby.access).body);
  ASSERT_EQ(list["items"].Size(), 1U);
  EXPECT_EQ(text(list["items"][0], "name"), name);
  EXPECT_EQ(text(list["items"][0], "line1"), line1);
  EXPECT_EQ(text(list["items"][0], "city"), city);
  EXPECT_EQ(text(list["items"][0], "postal_code"), "' --");

  // A quote in the email is just a wrong email.
  EXPECT_TRUE(isProblem(login("' OR '1'='1' --@example.com", kPassword), 401));
  // Everyone else is untouched.
  signedIn(login("other@example.com", kPassword), 200, "other@example.com", "Other");
  EXPECT_EQ(parseJson(get("/api/v1/me/addresses", other.access).body)["items"].Size(), 1U);
  signUp("newcomer@example.com", "Newcomer");
  signedIn(login("bobby@example.com", kPassword), 200, "bobby@example.com", name);
}

// ---------------------------------------------------------------------------------------------
// Admin

TEST_P(UsersApiTest, UserCreateAdminMakesAnAdmin) {
  // The server is running; the command writes to the same database beside it.
  ASSERT_NO_FATAL_FAILURE(createUser("Root@Example.com", "admin-secret-1", true));
  const auto s = signedIn(login("root@example.com", "admin-secret-1"), 200, "root@example.com",
                          std::nullopt, "admin");
  const auto me = get("/api/v1/me", s.access);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(text(parseJson(me.body), "role"), "admin");
}

TEST_P(UsersApiTest, AdminListsUsersPageByPage) {
  ASSERT_NO_FATAL_FAILURE(createUser("admin@example.com", "admin-secret-1", true));
  const auto admin = signedIn(login("admin@example.com", "admin-secret-1"), 200,
                              "admin@example.com", std::nullopt, "admin");
  const auto customer = signUp("customer1@example.com", "Customer One");
  signUp("customer2@example.com", "Customer Two");

  EXPECT_TRUE(isProblem(get("/api/v1/admin/users"), 401));
  EXPECT_TRUE(isProblem(get("/api/v1/admin/users", customer.access), 403));

  const auto all = get("/api/v1/admin/users", admin.access);
  ASSERT_EQ(all.status, 200) << all.body;
  const auto d = parseJson(all.body);
  ASSERT_TRUE(d.HasMember("items") && d["items"].IsArray()) << all.body;
  ASSERT_TRUE(d.HasMember("next_cursor")) << all.body;
  EXPECT_TRUE(d["next_cursor"].IsNull());
  std::map<std::string, std::string> roles;  // email -> role
  for (const auto& u : d["items"].GetArray()) {
    EXPECT_FALSE(text(u, "id").empty());
    EXPECT_TRUE(isRfc3339Utc(text(u, "created_at")));
    EXPECT_TRUE(u.HasMember("name") && u["name"].IsString());
    roles[lower(text(u, "email"))] = text(u, "role");
  }
  EXPECT_EQ(roles, (std::map<std::string, std::string>{{"admin@example.com", "admin"},
                                                       {"customer1@example.com", "customer"},
                                                       {"customer2@example.com", "customer"}}));

  // One at a time: every user once, none twice, even with a sign-up between pages.
  std::vector<std::string> seen;
  std::string cursor;
  bool finished = false;
  for (int page = 0; page < 10 && !finished; ++page) {
    const auto r = get("/api/v1/admin/users?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor),
                       admin.access);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto p = parseJson(r.body);
    ASSERT_LE(p["items"].Size(), 1U);
    for (const auto& u : p["items"].GetArray()) seen.push_back(lower(text(u, "email")));
    if (page == 0) signUp("latecomer@example.com", "Late");
    finished = p["next_cursor"].IsNull();
    if (finished) break;
    cursor = text(p, "next_cursor");
    ASSERT_FALSE(cursor.empty());
  }
  EXPECT_TRUE(finished) << "next_cursor never ran out";
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "a user appeared twice";
  for (const char* email : {"admin@example.com", "customer1@example.com", "customer2@example.com"})
    EXPECT_EQ(unique.count(email), 1U) << email;

  for (const char* bad_limit : {"0", "101", "-1", "ten"}) {
    const auto r = get(std::string("/api/v1/admin/users?limit=") + bad_limit, admin.access);
    EXPECT_TRUE(isProblem(r, 422)) << bad_limit;
    EXPECT_EQ(errorFields(r), Fields{"limit"}) << bad_limit;
  }
  for (const char* bad_cursor : {"!!garbage!!", "Zm9vYmFy"}) {
    const auto r = get(std::string("/api/v1/admin/users?cursor=") + bad_cursor, admin.access);
    EXPECT_TRUE(isProblem(r, 422)) << bad_cursor;
    EXPECT_EQ(errorFields(r), Fields{"cursor"}) << bad_cursor;
  }
}

// ---------------------------------------------------------------------------------------------
// Rate limits (on, as by default)

::testing::AssertionResult isRateLimited(const HttpReply& r, int max_retry_after) {
  auto problem = isProblem(r, 429);
  if (!problem) return problem;
  const int seconds = retryAfter(r);
  if (seconds < 1 || seconds > max_retry_after) {
    return ::testing::AssertionFailure()
           << "Retry-After '" << r.header("retry-after") << "' is not in 1.." << max_retry_after;
  }
  return ::testing::AssertionSuccess();
}

TEST_P(UsersRateLimitTest, LoginIsLimitedPerClientAddress) {
  // Created before the server starts, so no sign-up spends the budget.
  ASSERT_NO_FATAL_FAILURE(createUser("ip1@example.com", kPassword, false));
  ASSERT_NO_FATAL_FAILURE(createUser("ip2@example.com", kPassword, false));
  ASSERT_NO_FATAL_FAILURE(serve());
  // Spread over two accounts so that no per-account budget runs out first.
  static_assert(kAuthPerIpBurst <= 2 * kFailuresPerAccountAddress);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kAuthPerIpBurst; ++i) {
    const auto r = login(i % 2 == 0 ? "ip1@example.com" : "ip2@example.com", "wrong-password");
    EXPECT_TRUE(isProblem(r, 401)) << "attempt " << i + 1;
  }
  if (std::chrono::steady_clock::now() - start >= std::chrono::seconds(kAuthPerIpRefillSeconds)) {
    GTEST_SKIP() << "the attempts took longer than one refill period; cannot observe the limit";
  }
  // An account never tried before, from the same client: its address has no budget left.
  const auto limited = login("fresh@example.com", "wrong-password");
  EXPECT_TRUE(isRateLimited(limited, kAuthPerIpRefillSeconds));
  EXPECT_TRUE(isRateLimited(login("ip1@example.com", kPassword), kAuthPerIpRefillSeconds));
  // X-Forwarded-For is not trusted by default: it buys no fresh budget.
  const auto forwarded = call(
      "POST", "/api/v1/auth/login", jsonObject({{"email", "xff@example.com"}, {"password", "x"}}),
      {{"Content-Type", "application/json"}, {"X-Forwarded-For", "203.0.113.9"}});
  EXPECT_TRUE(isRateLimited(forwarded, kAuthPerIpRefillSeconds));
  EXPECT_EQ(call("GET", "/healthz").status, 200);
}

// Per account, sign-in counts failed guesses instead (sign_in_test.cpp): a bucket
// taken before the password was checked let strangers keep the owner out.

TEST_P(UsersRateLimitTest, GeneralRequestLimitSparesHealthz) {
  ASSERT_NO_FATAL_FAILURE(createUser("busy@example.com", kPassword, false));
  ASSERT_NO_FATAL_FAILURE(
      serve({{"EMPORIUM_LIMITS_BURST", "5"}, {"EMPORIUM_LIMITS_REQUESTS_PER_SECOND", "1"}}));
  const auto s =
      signedIn(login("busy@example.com", kPassword), 200, "busy@example.com", std::nullopt);
  // The sign-in took one of the 5 tokens; the bucket refills one a second.
  // However slow this machine is, requests soon outrun that refill: count the
  // ones served before the first refusal instead of timing a refill.
  int served = 0;
  std::optional<HttpReply> limited;
  for (int i = 0; i < 50 && !limited; ++i) {
    auto r = get("/api/v1/me", s.access);
    if (r.status == 200) {
      ++served;
    } else {
      limited = std::move(r);
    }
  }
  EXPECT_GE(served, 4) << "the burst left after the sign-in";
  ASSERT_TRUE(limited.has_value()) << "50 requests at 1/s were never limited";
  EXPECT_TRUE(isRateLimited(*limited, 1)) << limited->body;
  const auto health = call("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
}

const auto kBackends = ::testing::Values(Backend::kSqlite, Backend::kPostgres);
const auto kBackendName = [](const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? std::string("Sqlite") : std::string("Postgres");
};
INSTANTIATE_TEST_SUITE_P(Backends, UsersApiTest, kBackends, kBackendName);
INSTANTIATE_TEST_SUITE_P(Backends, UsersRateLimitTest, kBackends, kBackendName);

}  // namespace
}  // namespace emporium::test
