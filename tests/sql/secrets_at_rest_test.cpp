// Secrets at rest (issue 14): signing keys and the device-cookie key sealed
// with a key-encryption key on both backends, clear keys of an older start
// sealed on the first start with one, and SQLite's files owner-only.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/sql/migrations.hpp"
#include "services/users/domain/key_ring.hpp"
#include "services/users/domain/sign_in_guard.hpp"
#include "services/users/storage/key_encryption.hpp"
#include "services/users/storage/key_store.hpp"
#include "services/users/storage/sign_in_store.hpp"
#include "services/users/storage/user_store.hpp"
#include "sql_test_support.hpp"

namespace emporium::users {
namespace {

using sql::test::Backend;
using sql::test::backendName;
using sql::test::SqlTest;

constexpr char kHexKek[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr char kOtherKek[] = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

KeyEncryptionKey kek(const char* text = kHexKek) { return *KeyEncryptionKey::parse(text); }

class SecretsAtRestTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sql::applyMigrations(*db_, migrations());
  }

  std::vector<std::string> storedSecrets() {
    return db_->read([](sql::Session& s) {
      std::vector<std::string> out;
      for (const auto& row :
           s.execute(sql::Query{"t.secrets", "SELECT secret_key FROM signing_keys"})) {
        out.push_back(row.getText(0));
      }
      for (const auto& row :
           s.execute(sql::Query{"t.device", "SELECT secret FROM device_cookie_key"})) {
        out.push_back(row.getText(0));
      }
      return out;
    });
  }
};

// Before, users.db held the signing key in clear: a copy of it minted tokens.
TEST_P(SecretsAtRestTest, KeysAreStoredSealedAndStillSign) {
  KeyStore store(*db_, kek());
  KeyRing ring(store);
  SignInStore sign_ins(*db_, kek());
  const SignInGuard guard(sign_ins);
  const auto cookie = guard.issueDeviceCookie("a@example.com");
  const auto secrets = storedSecrets();
  ASSERT_EQ(secrets.size(), 2U);
  for (const auto& secret : secrets) EXPECT_TRUE(KeyEncryptionKey::isSealed(secret)) << secret;

  const auto token = ring.issue("usr_1", "customer").token;
  KeyStore again(*db_, kek());
  KeyRing other(again);
  EXPECT_TRUE(other.verify(token).has_value());
  // The device-cookie key opens to the same key: cookies stay valid.
  SignInStore sign_ins_again(*db_, kek());
  SignInGuard guard_again(sign_ins_again);
  EXPECT_TRUE(std::get<SignInAdmission>(guard_again.admit({"a@example.com", "192.0.2.1", cookie}))
                  .known_device);
}

TEST_P(SecretsAtRestTest, ClearKeysAreSealedOnTheFirstStartWithAKek) {
  std::string token;
  {
    KeyStore clear_store(*db_);
    KeyRing ring(clear_store);
    SignInStore sign_ins(*db_);
    (void)sign_ins.deviceKey();
    token = ring.issue("usr_1", "customer").token;
  }
  for (const auto& secret : storedSecrets()) EXPECT_FALSE(KeyEncryptionKey::isSealed(secret));
  KeyStore store(*db_, kek());
  KeyRing ring(store);
  SignInStore sign_ins(*db_, kek());
  (void)sign_ins.deviceKey();
  for (const auto& secret : storedSecrets()) EXPECT_TRUE(KeyEncryptionKey::isSealed(secret));
  EXPECT_TRUE(ring.verify(token).has_value()) << "the same key, sealed";
}

TEST_P(SecretsAtRestTest, SealedKeysNeedTheirKek) {
  {
    KeyStore store(*db_, kek());
    KeyRing ring(store);
    SignInStore sign_ins(*db_, kek());
    (void)sign_ins.deviceKey();
  }
  KeyStore without(*db_);
  EXPECT_THROW((void)without.all(), std::runtime_error);
  KeyStore wrong(*db_, kek(kOtherKek));
  EXPECT_THROW((void)wrong.all(), std::runtime_error);
  SignInStore sign_ins_without(*db_);
  EXPECT_THROW((void)sign_ins_without.deviceKey(), std::runtime_error);
}

TEST_P(SecretsAtRestTest, SqliteFilesAreOwnerOnly) {
  if (isPostgres()) GTEST_SKIP() << "file modes are SQLite's";
  const auto dir =
      std::filesystem::temp_directory_path() / ("emporium-perms-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const mode_t previous = ::umask(022);
  {
    sql::DatabaseOptions options;
    options.service = "users";
    options.data_dir = dir.string();
    const auto db = sql::openDatabase(options);
    sql::applyMigrations(*db, migrations());
  }
  ::umask(previous);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700U) << "data dir";
  for (const char* name : {"users.db", "users.db-wal", "users.db-shm"}) {
    if (::stat((dir / name).c_str(), &st) != 0) continue;  // -wal/-shm may be gone after close
    EXPECT_EQ(st.st_mode & 0777, 0600U) << name;
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, SecretsAtRestTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

}  // namespace
}  // namespace emporium::users
