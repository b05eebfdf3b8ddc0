// The contract users::Client promises, run over every implementation: the
// in-process one over a real database on both backends, the RemoteClient
// calling it over real HTTP on the users service's internal routes, and the
// fake other services' tests use. A behaviour the fake or the wire lacks
// fails here, not in those tests.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/events/outbox.hpp"
#include "core/http/service_credential.hpp"
#include "core/net/http_client.hpp"
#include "core/sql/migrations.hpp"
#include "internal_server.hpp"
#include "services/users/http/internal_routes.hpp"
#include "services/users/remote_client.hpp"
#include "services/users/storage/address_store.hpp"
#include "services/users/storage/user_store.hpp"
#include "services/users/users_client.hpp"
#include "sql_test_support.hpp"
#include "support/fakes/fake_users.hpp"

namespace emporium::users {
namespace {

using sql::test::Backend;

util::PostalAddress sampleAddress(const std::string& name) {
  return util::PostalAddress{
      name, "1 Analytical Way", "Flat 2", "London", "Greater London", "N1 9GU", "GB"};
}

// users::LocalClient over a fresh users database of its own on one backend.
template <Backend kBackend>
class LocalUsers {
 public:
  /// Why this subject cannot run here (no PostgreSQL configured), or nullopt.
  static std::optional<std::string> unavailable() {
    if (kBackend == Backend::kPostgres && !sql::test::postgresUrl()) {
      return "PostgreSQL case skipped: set EMPORIUM_TEST_POSTGRES_URL to run it";
    }
    return std::nullopt;
  }

  LocalUsers(const LocalUsers&) = delete;
  LocalUsers& operator=(const LocalUsers&) = delete;
  LocalUsers() = default;
  ~LocalUsers() {
    client_.reset();
    addresses_.reset();
    users_.reset();
    outbox_.reset();
    db_.reset();
    if (kBackend == Backend::kPostgres && !service_.empty()) {
      sql::test::dropPostgresDatabase(*sql::test::postgresUrl(), service_);
    }
    if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_);
  }

  void start() {
    service_ = sql::test::uniqueServiceName();
    data_dir_ = std::filesystem::temp_directory_path() / ("emporium_users_client_" + service_);
    sql::DatabaseOptions options;
    options.service = service_;
    options.data_dir = data_dir_.string();
    if (kBackend == Backend::kPostgres) options.postgres_url = sql::test::postgresUrl();
    db_ = sql::openDatabase(options);
    sql::applyMigrations(*db_, migrations());
    outbox_ = std::make_unique<events::Outbox>("users", *db_, doorbell_);
    users_ = std::make_unique<UserStore>(*db_, *outbox_);
    addresses_ = std::make_unique<AddressStore>(*db_);
    client_ = std::make_unique<LocalClient>(*users_, *addresses_);
  }

  Client& client() { return *client_; }

  std::string addUser(const std::string& email, const std::string& name, bool admin = false) {
    const auto user =
        users_->create({email, name, "not-a-real-hash", admin ? Role::kAdmin : Role::kCustomer});
    EXPECT_TRUE(user.has_value()) << email;
    return user ? user->id : std::string();
  }

  std::string addAddress(const std::string& user_id, const util::PostalAddress& a) {
    const auto added = addresses_->add(
        user_id,
        Address{{}, a.name, a.line1, a.line2, a.city, a.region, a.postal_code, a.country, {}}, 10);
    EXPECT_TRUE(added.has_value()) << user_id;
    return added ? added->id : std::string();
  }

 private:
  std::string service_;
  std::filesystem::path data_dir_;
  std::unique_ptr<sql::Database> db_;
  events::Doorbell doorbell_;
  std::unique_ptr<events::Outbox> outbox_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<AddressStore> addresses_;
  std::unique_ptr<LocalClient> client_;
};

constexpr const char* kSecret = "users-contract-service-credential-0123456789";

// RemoteClient -> HTTP -> internal routes -> LocalClient on kBackend.
template <Backend kBackend>
class RemoteUsers : public sql::test::RemoteSubject<LocalUsers<kBackend>, RemoteClient> {
 public:
  std::string addUser(const std::string& email, const std::string& name, bool admin = false) {
    return this->local().addUser(email, name, admin);
  }
  std::string addAddress(const std::string& user_id, const util::PostalAddress& a) {
    return this->local().addAddress(user_id, a);
  }
};

// The fake, through the same few calls.
class FakeSubject {
 public:
  static std::optional<std::string> unavailable() { return std::nullopt; }
  void start() {}
  Client& client() { return fake_; }
  std::string addUser(const std::string& email, const std::string& name, bool admin = false) {
    return fake_.addUser(email, name, admin);
  }
  std::string addAddress(const std::string& user_id, const util::PostalAddress& a) {
    return fake_.addAddress(user_id, a);
  }

 private:
  emporium::test::FakeUsers fake_;
};

template <class Subject>
class UsersClientContract : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = Subject::unavailable()) {
      const char* require =
          std::getenv("EMPORIUM_REQUIRE_POSTGRES");  // NOLINT(concurrency-mt-unsafe)
      if (require != nullptr && std::string_view(require) == "1") GTEST_FAIL() << *why;
      GTEST_SKIP() << *why;
    }
    subject_.start();
  }

  Subject subject_;
};

struct SubjectNames {
  template <class Subject>
  static std::string GetName(int /*index*/) {
    if constexpr (std::is_same_v<Subject, LocalUsers<Backend::kSqlite>>) return "LocalSqlite";
    if constexpr (std::is_same_v<Subject, LocalUsers<Backend::kPostgres>>) return "LocalPostgres";
    if constexpr (std::is_same_v<Subject, RemoteUsers<Backend::kSqlite>>) return "RemoteSqlite";
    if constexpr (std::is_same_v<Subject, RemoteUsers<Backend::kPostgres>>) return "RemotePostgres";
    return "Fake";
  }
};

using Subjects =
    ::testing::Types<LocalUsers<Backend::kSqlite>, LocalUsers<Backend::kPostgres>,
                     RemoteUsers<Backend::kSqlite>, RemoteUsers<Backend::kPostgres>, FakeSubject>;
TYPED_TEST_SUITE(UsersClientContract, Subjects, SubjectNames);

TYPED_TEST(UsersClientContract, UnknownUserHasNoNameOrRecipient) {
  const std::string ada = this->subject_.addUser("ada@example.com", "Ada Lovelace");
  Client& client = this->subject_.client();

  EXPECT_EQ(client.name("usr_nobody"), std::nullopt);
  EXPECT_FALSE(client.recipient("usr_nobody").has_value());
  EXPECT_EQ(client.name(""), std::nullopt);

  EXPECT_EQ(client.name(ada), "Ada Lovelace");
  const auto recipient = client.recipient(ada);
  ASSERT_TRUE(recipient.has_value());
  EXPECT_EQ(recipient->email, "ada@example.com");
  EXPECT_EQ(recipient->name, "Ada Lovelace");
}

TYPED_TEST(UsersClientContract, AdminsAreEveryAdminUser) {
  Client& client = this->subject_.client();
  EXPECT_TRUE(client.admins().empty());

  this->subject_.addUser("grace@example.com", "Grace Hopper", /*admin=*/true);
  this->subject_.addUser("carl@example.com", "Carl Customer");
  this->subject_.addUser("edsger@example.com", "Edsger Dijkstra", /*admin=*/true);

  const auto admins = client.admins();
  ASSERT_EQ(admins.size(), 2U);
  // Oldest first.
  EXPECT_EQ(admins[0].email, "grace@example.com");
  EXPECT_EQ(admins[0].name, "Grace Hopper");
  EXPECT_EQ(admins[1].email, "edsger@example.com");
  EXPECT_EQ(admins[1].name, "Edsger Dijkstra");
}

TYPED_TEST(UsersClientContract, AnAddressIsFoundOnlyForItsOwner) {
  const std::string ada = this->subject_.addUser("ada@example.com", "Ada Lovelace");
  const std::string bob = this->subject_.addUser("bob@example.com", "Bob");
  const std::string id = this->subject_.addAddress(ada, sampleAddress("Ada Lovelace"));
  Client& client = this->subject_.client();

  const auto found = client.address(ada, id);
  ASSERT_TRUE(found.has_value());
  const auto expected = sampleAddress("Ada Lovelace");
  EXPECT_EQ(found->name, expected.name);
  EXPECT_EQ(found->line1, expected.line1);
  EXPECT_EQ(found->line2, expected.line2);
  EXPECT_EQ(found->city, expected.city);
  EXPECT_EQ(found->region, expected.region);
  EXPECT_EQ(found->postal_code, expected.postal_code);
  EXPECT_EQ(found->country, expected.country);

  EXPECT_FALSE(client.address(bob, id).has_value()) << "another user's address";
  EXPECT_FALSE(client.address(ada, "adr_unknown").has_value());
  EXPECT_FALSE(client.address("usr_nobody", id).has_value());
}

}  // namespace
}  // namespace emporium::users
