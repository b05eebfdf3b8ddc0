// SmtpMailer against real SMTP servers: the shared aiosmtpd from
// EMPORIUM_TEST_SMTP_URL (which stores into EMPORIUM_TEST_SMTP_MAILDIR), and
// private tests/support/slow_smtp.py children that answer DATA only after a
// delay.

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/process.hpp"
#include "services/notifications/mail/mailer.hpp"
#include "support/notification_fixtures.hpp"

namespace emporium::notifications {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

MailMessage message(const std::string& id) {
  MailMessage m;
  m.from = "Emporium Test <shop@emporium.invalid>";
  m.to = "Zoë Ångström <zoe@example.com>";
  m.subject = "Bestellung ORD-1042 bestätigt";
  m.text = "Hello Zoë,\n\nTotal: €70.40\n.\nA line that starts with a dot.\n";
  m.html = "<p>Hello Zoë,</p>\n<p>Total: <strong>€70.40</strong></p>\n";
  m.message_id = id + "@emporium";
  return m;
}

std::string uniqueId(const char* what) {
  return std::string("itest-") + what + "-" + emporium::test::randomSuffix();
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The Maildir message with this Message-ID, waiting up to `timeout` for the
// server to store it (it stores after answering, so the file may lag the 250).
std::optional<std::string> findInMaildir(const std::filesystem::path& maildir,
                                         const std::string& message_id,
                                         std::chrono::milliseconds timeout = 5s) {
  const std::string needle = "Message-ID: <" + message_id + ">";
  const auto deadline = Clock::now() + timeout;
  do {
    for (const char* sub : {"new", "cur"}) {
      std::error_code error;
      for (const auto& entry : std::filesystem::directory_iterator(maildir / sub, error)) {
        std::string text = readFile(entry.path());
        if (text.find(needle) != std::string::npos) return text;
      }
    }
    std::this_thread::sleep_for(50ms);
  } while (Clock::now() < deadline);
  return std::nullopt;
}

// Both parts as they arrived, decoded: the server may have rewritten line
// endings to LF when storing, so normalise to CRLF first.
void expectBothParts(std::string stored) {
  std::string crlf;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (stored[i] == '\n' && (i == 0 || stored[i - 1] != '\r')) crlf += '\r';
    crlf += stored[i];
  }
  EXPECT_EQ(test::mimePart(crlf, "text/plain"),
            "Hello Zoë,\r\n\r\nTotal: €70.40\r\n.\r\nA line that starts with a dot.\r\n");
  EXPECT_EQ(test::mimePart(crlf, "text/html"),
            "<p>Hello Zoë,</p>\r\n<p>Total: <strong>€70.40</strong></p>\r\n");
  EXPECT_TRUE(test::mimeHeader(crlf, "Subject").starts_with("=?UTF-8?B?"));
}

class SharedSmtpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = emporium::test::env("EMPORIUM_TEST_SMTP_URL");
    const auto maildir = emporium::test::env("EMPORIUM_TEST_SMTP_MAILDIR");
    if (!url_ || !maildir) {
      if (emporium::test::required("EMPORIUM_REQUIRE_SERVERS")) {
        FAIL() << "EMPORIUM_TEST_SMTP_URL / EMPORIUM_TEST_SMTP_MAILDIR are not set";
      }
      GTEST_SKIP() << "no SMTP server (source /tmp/emporium-test-servers/env)";
    }
    maildir_ = *maildir;
  }
  std::optional<std::string> url_;
  std::filesystem::path maildir_;
};

TEST_F(SharedSmtpTest, DeliversBothPartsIntact) {
  SmtpMailer mailer(*url_, 5s);
  const std::string id = uniqueId("parts");
  mailer.send(message(id));
  const auto stored = findInMaildir(maildir_, id + "@emporium");
  ASSERT_TRUE(stored) << "message " << id << " not found in " << maildir_;
  expectBothParts(*stored);
}

TEST_F(SharedSmtpTest, OneMailerSendsManyMessagesOnItsConnection) {
  SmtpMailer mailer(*url_, 5s);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(uniqueId("reuse"));
    mailer.send(message(ids.back()));
  }
  for (const auto& id : ids) {
    EXPECT_TRUE(findInMaildir(maildir_, id + "@emporium")) << id;
  }
}

TEST(SmtpMailerTest, ARefusedConnectionIsTransient) {
  const emporium::test::ClosedPort closed;
  SmtpMailer mailer("smtp://127.0.0.1:" + std::to_string(closed.port()), 2s);
  try {
    mailer.send(message(uniqueId("refused")));
    FAIL() << "sent to a port nobody listens on";
  } catch (const MailError& e) {
    EXPECT_TRUE(e.transient()) << e.what();
  }
}

TEST(SmtpMailerTest, AnUnwritableMessageIsPermanent) {
  const emporium::test::ClosedPort closed;
  SmtpMailer mailer("smtp://127.0.0.1:" + std::to_string(closed.port()), 2s);
  MailMessage bad = message(uniqueId("bad"));
  bad.to = "zoe@example.com\r\nBcc: victim@example.com";
  try {
    mailer.send(bad);
    FAIL();
  } catch (const MailError& e) {
    EXPECT_FALSE(e.transient()) << e.what();
  }
  EXPECT_THROW(SmtpMailer("http://example.com", 1s), std::invalid_argument);
}

// A private slow_smtp.py: answers 250 to DATA only after `delay` seconds.
class SlowSmtp {
 public:
  // Port 0: the server binds whatever is free and prints "ready <port>".
  explicit SlowSmtp(double delay)
      : maildir_(std::filesystem::temp_directory_path() /
                 ("emporium-slow-smtp-" + emporium::test::randomSuffix())),
        child_({"/usr/bin/python3", EMPORIUM_SLOW_SMTP, "--port", "0", "--maildir",
                maildir_.string(), "--delay", std::to_string(delay)},
               {}) {
    const auto deadline = Clock::now() + 15s;
    for (;;) {
      std::istringstream out(child_.output());
      std::string word;
      unsigned port = 0;
      if (out >> word >> port && word == "ready") {
        port_ = static_cast<std::uint16_t>(port);
        return;
      }
      if (Clock::now() > deadline || !child_.running()) {
        throw std::runtime_error("slow_smtp.py: " + child_.output());
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  ~SlowSmtp() {
    child_.signal(SIGTERM);
    child_.wait(5s);
    std::error_code ignored;
    std::filesystem::remove_all(maildir_, ignored);
  }
  SlowSmtp(const SlowSmtp&) = delete;
  SlowSmtp& operator=(const SlowSmtp&) = delete;

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& maildir() const { return maildir_; }

 private:
  std::uint16_t port_ = 0;
  std::filesystem::path maildir_;
  emporium::test::ChildProcess child_;
};

TEST(SlowSmtpTest, ATimeoutShorterThanTheServerIsTransient) {
  SlowSmtp server(2.0);
  SmtpMailer mailer(server.url(), 500ms);
  const auto start = Clock::now();
  try {
    mailer.send(message(uniqueId("slow")));
    FAIL() << "a 2 s server answered within a 500 ms timeout";
  } catch (const MailError& e) {
    EXPECT_TRUE(e.transient()) << e.what();
  }
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 450ms);
  EXPECT_LT(elapsed, 1500ms) << "the timeout did not bound the send";
}

TEST(SlowSmtpTest, APatientMailerGetsThrough) {
  SlowSmtp server(1.0);
  SmtpMailer mailer(server.url(), 5s);
  const std::string id = uniqueId("patient");
  const auto start = Clock::now();
  mailer.send(message(id));
  EXPECT_GE(Clock::now() - start, 900ms);
  const auto stored = findInMaildir(server.maildir(), id + "@emporium");
  ASSERT_TRUE(stored);
  expectBothParts(*stored);
}

TEST(SlowSmtpTest, ARefusedRecipientIsPermanent) {
  SlowSmtp server(0.0);  // slow_smtp.py answers 550 to recipients named reject*
  SmtpMailer mailer(server.url(), 5s);
  MailMessage refused = message(uniqueId("rejected"));
  refused.to = "reject-me@example.com";
  try {
    mailer.send(refused);
    FAIL() << "a 550 recipient was accepted";
  } catch (const MailError& e) {
    EXPECT_FALSE(e.transient()) << e.what();
    EXPECT_NE(std::string(e.what()).find("550"), std::string::npos) << e.what();
  }
  // The refusal leaves the mailer usable for the next message.
  const std::string id = uniqueId("after-reject");
  mailer.send(message(id));
  EXPECT_TRUE(findInMaildir(server.maildir(), id + "@emporium"));
}

}  // namespace
}  // namespace emporium::notifications
