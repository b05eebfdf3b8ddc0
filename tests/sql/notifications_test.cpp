// NotificationsService over both SQL backends: each event mails once however
// often it is delivered, a failed send records nothing (so the retry sends),
// and FileMailer writes each message once.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/events/outbox.hpp"
#include "core/log/logger.hpp"
#include "services/notifications/mail/mailer.hpp"
#include "services/notifications/notifications_service.hpp"
#include "services/notifications/users_directory.hpp"
#include "sql_test_support.hpp"
#include "support/fakes/fake_users.hpp"
#include "support/notification_fixtures.hpp"
#include "support/null_sink.hpp"

namespace emporium::sql::test {
namespace {

using notifications::MailError;
using notifications::MailMessage;
using notifications::NotificationsService;
using notifications::Recipient;

using ::emporium::test::NullSink;

// A Mailer that keeps what it was given; fails the next `failures` sends.
class RecordingMailer final : public notifications::Mailer {
 public:
  void send(const MailMessage& message) override {
    const std::scoped_lock lock(mutex_);
    const int attempt = attempts++;
    if (failures > 0 || attempt == fail_attempt) {
      if (failures > 0) --failures;
      if (permanent) throw MailError("550 no such mailbox (test)", false);
      throw MailError("450 mailbox busy (test)", true);
    }
    sent.push_back(message);
  }
  std::mutex mutex_;
  int failures = 0;        // fail this many sends from now
  int fail_attempt = -1;   // fail the send with this 0-based index
  bool permanent = false;  // fail for good (5xx) rather than for now
  int attempts = 0;
  std::vector<MailMessage> sent;
};

class NotificationsTest : public SqlTest {
 protected:
  void SetUp() override {
    SqlTest::SetUp();
    if (IsSkipped()) return;
    users_.putUser(notifications::test::sampleOrder().user_id,
                   {"jurgen@example.com", "Jürgen Müller"});
    users_.addUser("ops@example.com", "Ops", /*admin=*/true);
    users_.addUser("boss@example.com", "Boss", /*admin=*/true);
    notifier_ =
        std::make_unique<NotificationsService>(*db_, mailer_, directory_, options(), logger_);
  }

  static notifications::NotificationOptions options() {
    notifications::NotificationOptions o;
    o.shop_name = "Test Shop";
    o.from = "Test Shop <shop@example.com>";
    o.base_url = "https://shop.example";
    return o;
  }

  std::int64_t count(std::string_view table) {
    const std::string text = "SELECT COUNT(*) FROM " + std::string(table);
    return db_->read([&](Session& s) {
      return s.execute(Query{"notifications_test.count", text})[0].getInt64(0);
    });
  }

  log::Logger logger_{log::Level::kError, std::make_unique<NullSink>()};
  RecordingMailer mailer_;
  emporium::test::FakeUsers users_;
  notifications::UsersDirectory directory_{users_, {}};
  std::unique_ptr<NotificationsService> notifier_;
};

TEST_P(NotificationsTest, AnEventHandledTwiceSendsOnce) {
  const events::Event event =
      notifications::test::orderEvent("order.confirmed", notifications::test::sampleOrder());
  notifier_->handle(event);
  notifier_->handle(event);
  ASSERT_EQ(mailer_.sent.size(), 1U);
  EXPECT_EQ(mailer_.sent[0].to, "Jürgen Müller <jurgen@example.com>");
  EXPECT_TRUE(events::wasProcessed(*db_, "notifications", event.id));

  const auto row = db_->read([&](Session& s) {
    return s.execute(Query{"notifications_test.sent",
                           "SELECT event_id, recipient, subject, message_id, sent_at "
                           "FROM sent_mail"})[0];
  });
  EXPECT_EQ(row.getText(0), event.id);
  EXPECT_EQ(row.getText(1), "jurgen@example.com");
  EXPECT_EQ(row.getText(2), "Your Test Shop order ORD-1042 is confirmed");
  EXPECT_EQ(row.getText(3), mailer_.sent[0].message_id);
  EXPECT_EQ(row.getText(4).size(), std::string("2026-11-26T10:00:00.000000Z").size());

  // Another worker (a second service on the same database) sees it as done.
  NotificationsService other(*db_, mailer_, directory_, options(), logger_);
  other.handle(event);
  EXPECT_EQ(mailer_.sent.size(), 1U);
  EXPECT_EQ(count("sent_mail"), 1);
}

// `emporium events replay --to notifications`: a forgotten event is mailed
// again, and recorded again (one sent_mail row, not two).
TEST_P(NotificationsTest, AForgottenEventIsMailedAgain) {
  const events::Event event =
      notifications::test::orderEvent("order.confirmed", notifications::test::sampleOrder());
  notifier_->handle(event);
  notifier_->forget(event.id);
  EXPECT_FALSE(events::wasProcessed(*db_, "notifications", event.id));
  notifier_->handle(event);
  ASSERT_EQ(mailer_.sent.size(), 2U);
  EXPECT_EQ(mailer_.sent[1].message_id, mailer_.sent[0].message_id);
  EXPECT_TRUE(events::wasProcessed(*db_, "notifications", event.id));
  const auto rows = db_->read([&](Session& s) {
    return s.execute(Query{"notifications_test.sent_count", "SELECT COUNT(*) FROM sent_mail"})[0]
        .getInt64(0);
  });
  EXPECT_EQ(rows, 1);
  notifier_->handle(event);
  EXPECT_EQ(mailer_.sent.size(), 2U);  // handled again only when forgotten
}

TEST_P(NotificationsTest, AFailedSendRecordsNothingSoTheRetrySends) {
  const events::Event event = notifications::test::registeredEvent();
  mailer_.failures = 1;
  try {
    notifier_->handle(event);
    FAIL() << "handle() returned although the mailer threw";
  } catch (const MailError& e) {
    EXPECT_TRUE(e.transient());
  }
  EXPECT_FALSE(events::wasProcessed(*db_, "notifications", event.id));
  EXPECT_EQ(count("sent_mail"), 0);

  notifier_->handle(event);  // the redelivery
  ASSERT_EQ(mailer_.sent.size(), 1U);
  EXPECT_EQ(mailer_.sent[0].to, "Zoë Ångström <zoe@example.com>");
  EXPECT_EQ(count("sent_mail"), 1);
  notifier_->handle(event);
  EXPECT_EQ(mailer_.sent.size(), 1U);
}

// Before, MailError::transient() was never read: a 550 was retried five times.
TEST_P(NotificationsTest, APermanentMailErrorIsAPermanentFailureWithTheReason) {
  const events::Event event = notifications::test::registeredEvent();
  mailer_.failures = 1;
  mailer_.permanent = true;
  try {
    notifier_->handle(event);
    FAIL() << "handle() returned although the mailer threw";
  } catch (const events::PermanentFailure& e) {
    EXPECT_NE(std::string(e.what()).find("550 no such mailbox"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(events::wasProcessed(*db_, "notifications", event.id));
  EXPECT_EQ(count("sent_mail"), 0);
  // A transient one still propagates as it was, to be retried.
  mailer_.failures = 1;
  mailer_.permanent = false;
  EXPECT_THROW(notifier_->handle(event), MailError);
}

TEST_P(NotificationsTest, LowStockMailsEveryAdmin) {
  notifier_->handle(notifications::test::lowStockEvent());
  ASSERT_EQ(mailer_.sent.size(), 2U);
  EXPECT_EQ(count("sent_mail"), 2);
  notifier_->handle(notifications::test::lowStockEvent());
  EXPECT_EQ(mailer_.sent.size(), 2U);
}

TEST_P(NotificationsTest, ARetriedFanOutSkipsTheAdminsAlreadyMailed) {
  users_.addUser("cto@example.com", "CTO", /*admin=*/true);
  mailer_.fail_attempt = 1;  // the second of three admins
  EXPECT_THROW(notifier_->handle(notifications::test::lowStockEvent()), MailError);
  ASSERT_EQ(mailer_.sent.size(), 1U);
  EXPECT_EQ(mailer_.sent[0].to, "Ops <ops@example.com>");
  EXPECT_EQ(count("sent_mail"), 1);
  EXPECT_FALSE(
      events::wasProcessed(*db_, "notifications", notifications::test::lowStockEvent().id));

  notifier_->handle(notifications::test::lowStockEvent());  // the redelivery
  ASSERT_EQ(mailer_.sent.size(), 3U);
  EXPECT_EQ(mailer_.sent[1].to, "Boss <boss@example.com>");
  EXPECT_EQ(mailer_.sent[2].to, "CTO <cto@example.com>");
  EXPECT_EQ(count("sent_mail"), 3);
  EXPECT_TRUE(events::wasProcessed(*db_, "notifications", notifications::test::lowStockEvent().id));
}

TEST_P(NotificationsTest, AnUnknownUserIsDoneWithoutMail) {
  orders::Order order = notifications::test::sampleOrder();
  order.user_id = "usr_deleted";
  const events::Event event = notifications::test::orderEvent("order.shipped", order);
  EXPECT_NO_THROW(notifier_->handle(event));
  EXPECT_TRUE(mailer_.sent.empty());
  EXPECT_TRUE(events::wasProcessed(*db_, "notifications", event.id));
  EXPECT_EQ(count("sent_mail"), 0);
}

TEST_P(NotificationsTest, AMalformedPayloadThrowsAndRecordsNothing) {
  events::Event event = notifications::test::lowStockEvent();
  event.payload = R"({"sku": 12})";
  EXPECT_THROW(notifier_->handle(event), notifications::PayloadError);
  EXPECT_FALSE(events::wasProcessed(*db_, "notifications", event.id));
  EXPECT_TRUE(mailer_.sent.empty());
}

TEST_P(NotificationsTest, TheConsumerSubscribesToTheMailedTypes) {
  const events::Consumer consumer = notifier_->consumer();
  EXPECT_EQ(consumer.name, "notifications");
  for (const char* type : {"user.registered", "order.confirmed", "order.shipped", "order.delivered",
                           "order.cancelled", "order.refunded", "stock.low"}) {
    EXPECT_TRUE(std::any_of(consumer.patterns.begin(), consumer.patterns.end(),
                            [&](const std::string& p) { return events::topicMatches(p, type); }))
        << type;
  }
  EXPECT_FALSE(
      std::any_of(consumer.patterns.begin(), consumer.patterns.end(),
                  [](const std::string& p) { return events::topicMatches(p, "order.placed"); }));
  consumer.handle(notifications::test::registeredEvent());
  EXPECT_EQ(mailer_.sent.size(), 1U);
}

TEST_P(NotificationsTest, FileMailerBehindTheServiceWritesOneFilePerMessage) {
  const auto dir = std::filesystem::temp_directory_path() / ("emporium-mail-" + service_);
  notifications::FileMailer files(dir);
  NotificationsService service(*db_, files, directory_, options(), logger_);
  const events::Event event =
      notifications::test::orderEvent("order.cancelled", notifications::test::sampleOrder());
  service.handle(event);
  service.handle(event);
  std::vector<std::filesystem::path> written;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    written.push_back(entry.path());
  ASSERT_EQ(written.size(), 1U);
  std::ifstream in(written[0], std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(notifications::test::mimeHeader(text.str(), "Subject"),
            "Your Test Shop order ORD-1042 was cancelled");
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, NotificationsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backendName);

// FileMailer alone: same message twice, one file, no temporary left behind.
TEST(FileMailerTest, SendingTheSameMessageTwiceLeavesOneFile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("emporium-mail-" + uniqueServiceName());
  notifications::FileMailer mailer(dir / "nested");  // created on construction
  MailMessage message;
  message.from = "Shop <shop@example.com>";
  message.to = "ada@example.com";
  message.subject = "Hello";
  message.text = "text";
  message.html = "<p>html</p>";
  message.message_id = "evt_01/../../x.1234@emporium";  // a path in the id stays a file name
  mailer.send(message);
  message.subject = "Hello again";
  mailer.send(message);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir / "nested"))
    files.push_back(e.path());
  ASSERT_EQ(files.size(), 1U);
  EXPECT_EQ(files[0], mailer.pathFor(message));
  EXPECT_EQ(files[0].parent_path(), dir / "nested");
  EXPECT_EQ(files[0].extension(), ".eml");
  std::ifstream in(files[0], std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(notifications::test::mimeHeader(text.str(), "Subject"), "Hello again");
  EXPECT_EQ(notifications::test::mimeHeader(text.str(), "Message-ID"),
            "<evt_01/../../x.1234@emporium>");

  message.to = "not an address";
  try {
    mailer.send(message);
    FAIL();
  } catch (const MailError& e) {
    EXPECT_FALSE(e.transient());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace emporium::sql::test
