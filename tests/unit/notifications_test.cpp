// The notifications service's pure parts: the MIME writer, the template
// engine, money formatting and composing mail from events.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "services/notifications/domain/compose.hpp"
#include "services/notifications/domain/money.hpp"
#include "services/notifications/domain/template.hpp"
#include "services/notifications/domain/templates.hpp"
#include "services/notifications/mail/mail_message.hpp"
#include "services/orders/domain/order_events.hpp"
#include "support/notification_fixtures.hpp"

namespace emporium::notifications {
namespace {

using test::mimeHeader;
using test::mimePart;

// 2026-11-26T10:00:00Z, a Thursday.
const auto kDate = std::chrono::system_clock::time_point(std::chrono::seconds(1795687200));

MailMessage sampleMessage() {
  MailMessage m;
  m.from = "Emporium <shop@emporium.invalid>";
  m.to = "Ada Lovelace <ada@example.com>";
  m.subject = "Your order";
  m.text = "Hello Ada,\nyour order is confirmed.\n";
  m.html = "<p>Hello Ada,</p>\n<p>your order is confirmed.</p>\n";
  m.message_id = "evt_1.abc@emporium";
  return m;
}

rapidjson::Document json(const char* text) {
  rapidjson::Document doc;
  doc.Parse(text);
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

std::string renderText(const char* source, const char* context) {
  return Template::parse(source).render(json(context), Escape::kNone);
}

std::string renderHtml(const char* source, const char* context) {
  return Template::parse(source).render(json(context), Escape::kHtml);
}

// --- MIME ------------------------------------------------------------------

TEST(MimeTest, WritesTheHeadersAndBothParts) {
  const std::string mime = toMime(sampleMessage(), kDate);
  EXPECT_EQ(mimeHeader(mime, "Date"), "Thu, 26 Nov 2026 10:00:00 +0000");
  EXPECT_EQ(mimeHeader(mime, "From"), "Emporium <shop@emporium.invalid>");
  EXPECT_EQ(mimeHeader(mime, "To"), "Ada Lovelace <ada@example.com>");
  EXPECT_EQ(mimeHeader(mime, "Subject"), "Your order");
  EXPECT_EQ(mimeHeader(mime, "Message-ID"), "<evt_1.abc@emporium>");
  EXPECT_EQ(mimeHeader(mime, "MIME-Version"), "1.0");
  EXPECT_TRUE(mimeHeader(mime, "Content-Type").starts_with("multipart/alternative; boundary="));
  EXPECT_EQ(mimePart(mime, "text/plain; charset=UTF-8"),
            "Hello Ada,\r\nyour order is confirmed.\r\n");
  EXPECT_EQ(mimePart(mime, "text/html; charset=UTF-8"),
            "<p>Hello Ada,</p>\r\n<p>your order is confirmed.</p>\r\n");
  EXPECT_NE(mime.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
  // The text part comes first: clients show the last part they can render.
  EXPECT_LT(mime.find("text/plain"), mime.find("text/html"));
  EXPECT_TRUE(mime.ends_with("--\r\n"));
}

TEST(MimeTest, UsesCrlfOnlyAndShortLines) {
  MailMessage m = sampleMessage();
  m.text = std::string(3000, 'x') + "\n" + std::string(500, 'y') + " \n.leading dot\r\nend";
  m.html = "<p>" + std::string(2000, 'z') + "</p>";
  const std::string mime = toMime(m, kDate);
  for (std::size_t i = 0; i < mime.size(); ++i) {
    if (mime[i] == '\n') {
      ASSERT_TRUE(i > 0 && mime[i - 1] == '\r') << "bare LF at " << i;
    }
    if (mime[i] == '\r') {
      ASSERT_TRUE(i + 1 < mime.size() && mime[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  std::size_t start = 0;
  while (start < mime.size()) {
    const auto eol = mime.find("\r\n", start);
    ASSERT_LE(eol - start, 78U) << mime.substr(start, 80);
    start = eol + 2;
  }
  // Decoding gives the text back, with CRLF line breaks.
  EXPECT_EQ(mimePart(mime, "text/plain"), std::string(3000, 'x') + "\r\n" + std::string(500, 'y') +
                                              " \r\n.leading dot\r\nend\r\n");
  // A '.' starting a line is encoded, so no relay can take it for the end of DATA.
  EXPECT_EQ(mime.find("\r\n.leading"), std::string::npos);
}

TEST(MimeTest, EncodesANonAsciiSubjectAndNames) {
  MailMessage m = sampleMessage();
  m.subject = "Bestellung bestätigt – danke! " + std::string(60, 'a');
  m.to = "Zoë Ångström <zoe@example.com>";
  const std::string mime = toMime(m, kDate);
  const std::string subject = mimeHeader(mime, "Subject");
  EXPECT_TRUE(subject.starts_with("=?UTF-8?B?")) << subject;
  EXPECT_EQ(mime.find("bestätigt"), std::string::npos);  // headers are 7-bit
  // Folded into several encoded words of at most 75 octets each.
  const std::string head = mime.substr(0, mime.find("\r\n\r\n"));
  EXPECT_NE(head.find("?=\r\n =?UTF-8?B?"), std::string::npos);
  EXPECT_TRUE(mimeHeader(mime, "To").starts_with("=?UTF-8?B?"));
  EXPECT_TRUE(mimeHeader(mime, "To").ends_with("?= <zoe@example.com>"));
  for (const char c : head) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  EXPECT_EQ(encodeHeaderText("Zoë"), "=?UTF-8?B?Wm/Dqw==?=");
}

TEST(MimeTest, EncodedWordsNeverSplitACharacter) {
  const std::string value(50, '\xE2');  // not valid UTF-8, but must not loop or crash
  EXPECT_FALSE(encodeHeaderText(value).empty());
  std::string euros;
  for (int i = 0; i < 40; ++i) euros += "€";  // 3 bytes each
  const std::string encoded = encodeHeaderText(euros);
  // 45 bytes per word = 15 whole euro signs; 40 of them need 3 words.
  EXPECT_EQ(std::count(encoded.begin(), encoded.end(), '?'), 3 * 4);
}

TEST(MimeTest, HeaderInjectionIsImpossible) {
  MailMessage m = sampleMessage();
  m.subject = "Hi\r\nBcc: victim@example.com\r\n\r\nbody";
  m.to = "Mallory\nBcc: x@example.com <ada@example.com>";
  EXPECT_THROW(toMime(m, kDate), MimeError);  // a line break in a display name
  m.to = "Ada <ada@example.com>";
  m.headers = {{"X-Note", "a\r\nBcc: victim@example.com"}};
  const std::string mime = toMime(m, kDate);
  EXPECT_EQ(mime.find("\r\nBcc:"), std::string::npos);
  EXPECT_EQ(mime.find("\nBcc:"), std::string::npos);
  EXPECT_EQ(mimeHeader(mime, "Subject").find('\n'), std::string::npos);

  m.to = "ada@example.com\r\nBcc: victim@example.com";
  EXPECT_THROW(toMime(m, kDate), MimeError);
  m.to = "ada@example.com";
  m.message_id = "x@emporium>\r\nBcc: victim@example.com";
  EXPECT_THROW(toMime(m, kDate), MimeError);
  m.message_id = "ok@emporium";
  m.headers = {{"Bcc", "victim@example.com"}};
  EXPECT_THROW(toMime(m, kDate), MimeError);
  m.headers = {{"X-Bad\r\nBcc", "v"}};
  EXPECT_THROW(toMime(m, kDate), MimeError);
}

TEST(MimeTest, ParsesAndFormatsMailboxes) {
  EXPECT_EQ(addressOf("Emporium <shop@emporium.invalid>"), "shop@emporium.invalid");
  EXPECT_EQ(addressOf(" shop@emporium.invalid "), "shop@emporium.invalid");
  EXPECT_THROW(addressOf("no-at-sign"), MimeError);
  EXPECT_THROW(addressOf("Name <a b@c>"), MimeError);
  EXPECT_EQ(formatMailbox("O'Brien, Pat", "pat@example.com"), "\"O'Brien, Pat\" <pat@example.com>");
  EXPECT_EQ(formatMailbox("", "pat@example.com"), "pat@example.com");
  EXPECT_EQ(makeMailbox("Pat\r\nBcc: x", "pat@example.com"), "Pat  Bcc: x <pat@example.com>");
  EXPECT_EQ(makeMailbox("", "pat@example.com"), "pat@example.com");
}

TEST(MimeTest, QuotedPrintableEncodesWhatItMust) {
  EXPECT_EQ(quotedPrintable("a=b"), "a=3Db");
  EXPECT_EQ(quotedPrintable("trailing \nx"), "trailing=20\r\nx");
  EXPECT_EQ(quotedPrintable("€"), "=E2=82=AC");
  EXPECT_EQ(quotedPrintable("From here"), "=46rom here");
}

// --- templates ---------------------------------------------------------------

TEST(TemplateTest, EscapesInHtmlOnly) {
  const char* context = R"({"name": "<b>Tom & \"Jerry\"</b>"})";
  EXPECT_EQ(renderHtml("Hi {{name}}!", context),
            "Hi &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;!");
  EXPECT_EQ(renderText("Hi {{name}}!", context), "Hi <b>Tom & \"Jerry\"</b>!");
  EXPECT_EQ(renderHtml("{{{name}}}|{{&name}}", context),
            "<b>Tom & \"Jerry\"</b>|<b>Tom & \"Jerry\"</b>");
}

TEST(TemplateTest, SectionsIterateArraysAndSeeOuterNames) {
  const char* context =
      R"({"currency": "EUR", "items": [{"t": "a", "q": 1}, {"t": "b", "q": 2}], "order": {"n": "X"}})";
  EXPECT_EQ(renderText("{{#items}}[{{t}} {{q}} {{currency}}]{{/items}}", context),
            "[a 1 EUR][b 2 EUR]");
  EXPECT_EQ(renderText("{{order.n}} {{#order}}{{n}}{{/order}}", context), "X X");
  EXPECT_EQ(renderText("{{#items}}{{#order}}{{n}}{{/order}}{{/items}}", context), "XX");
  EXPECT_EQ(renderText("{{#list}}{{.}},{{/list}}", R"({"list": ["x", "y"]})"), "x,y,");
}

TEST(TemplateTest, InvertedSectionsAndTruthiness) {
  const char* source = "{{#v}}yes{{/v}}{{^v}}no{{/v}}";
  EXPECT_EQ(renderText(source, R"({"v": true})"), "yes");
  EXPECT_EQ(renderText(source, R"({"v": false})"), "no");
  EXPECT_EQ(renderText(source, R"({"v": null})"), "no");
  EXPECT_EQ(renderText(source, R"({"v": ""})"), "no");
  EXPECT_EQ(renderText(source, R"({"v": []})"), "no");
  EXPECT_EQ(renderText(source, R"({})"), "no");
  EXPECT_EQ(renderText(source, R"({"v": 0})"), "yes");
  EXPECT_EQ(renderText(source, R"({"v": "x"})"), "yes");
}

TEST(TemplateTest, MissingNamesRenderNothing) {
  EXPECT_EQ(renderText("[{{missing}}][{{a.b.c}}][{{a}}]", R"({"a": {"x": 1}})"), "[][][]");
  EXPECT_EQ(renderText("{{n}} {{f}} {{b}}", R"({"n": -12, "f": 1.5, "b": false})"),
            "-12 1.5 false");
}

TEST(TemplateTest, StandaloneSectionTagsTakeTheirLine) {
  const char* source = "Items:\n{{#items}}\n- {{.}}\n{{/items}}\n  {{! a comment }}\nEnd\n";
  EXPECT_EQ(renderText(source, R"({"items": ["a", "b"]})"), "Items:\n- a\n- b\nEnd\n");
  // Inline tags keep the text around them.
  EXPECT_EQ(renderText("a {{#x}}b{{/x}} c\n", R"({"x": true})"), "a b c\n");
}

TEST(TemplateTest, RejectsMalformedTemplates) {
  EXPECT_THROW(Template::parse("{{#a}}never closed"), TemplateError);
  EXPECT_THROW(Template::parse("{{#a}}{{/b}}"), TemplateError);
  EXPECT_THROW(Template::parse("{{/a}}"), TemplateError);
  EXPECT_THROW(Template::parse("{{unclosed"), TemplateError);
  EXPECT_THROW(Template::parse("{{}}"), TemplateError);
  try {
    Template::parse("line one\nline two {{#x}}\n");
    FAIL();
  } catch (const TemplateError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

TEST(TemplatesTest, EmbeddedTemplatesLoadAndADirectoryOverrides) {
  const Templates builtin = Templates::load();
  for (const char* name : {"welcome", "order_confirmed", "order_shipped", "order_delivered",
                           "order_cancelled", "order_refunded", "low_stock"}) {
    EXPECT_TRUE(builtin.has(name)) << name;
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("emporium-tpl-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "welcome.txt") << "Subject: Hej {{recipient.name}}\n\nVälkommen!\n"; }
  const Templates custom = Templates::load(dir);
  const auto context = json(R"({"recipient": {"name": "Zoë"}, "shop": {"name": "S"}})");
  const RenderedMail mail = custom.render("welcome", context);
  EXPECT_EQ(mail.subject, "Hej Zoë");
  EXPECT_EQ(mail.text, "Välkommen!\n");
  EXPECT_NE(mail.html.find("Thank you for creating an account at S"), std::string::npos);

  { std::ofstream(dir / "low_stock.html") << "{{#broken}}"; }
  EXPECT_THROW(Templates::load(dir), TemplateError);
  std::filesystem::remove_all(dir);
}

// --- money -------------------------------------------------------------------

TEST(MoneyTest, FormatsMinorUnits) {
  EXPECT_EQ(formatMoney(1234, "USD"), "$12.34");
  EXPECT_EQ(formatMoney(1234, "EUR"), "€12.34");
  EXPECT_EQ(formatMoney(5, "GBP"), "£0.05");
  EXPECT_EQ(formatMoney(0, "USD"), "$0.00");
  EXPECT_EQ(formatMoney(-500, "USD"), "-$5.00");
  EXPECT_EQ(formatMoney(1234, "JPY"), "¥1234");
  EXPECT_EQ(formatMoney(1234, "CHF"), "CHF 12.34");
  EXPECT_EQ(formatMoney(INT64_MIN, "USD"), "-$92233720368547758.08");
}

// --- compose -----------------------------------------------------------------

class ComposeTest : public ::testing::Test {
 protected:
  Templates templates_ = Templates::load();
  ShopInfo shop_{"Emporium", "Emporium <shop@emporium.invalid>", "https://shop.example/"};
  Recipient recipient_{"jurgen@example.com", "Jürgen Müller"};
};

TEST_F(ComposeTest, AudienceComesFromThePayload) {
  const orders::Order order = test::sampleOrder();
  const Audience confirmed = audienceOf(test::orderEvent("order.confirmed", order));
  EXPECT_EQ(confirmed.kind, Audience::Kind::kUser);
  EXPECT_EQ(confirmed.user_id, order.user_id);
  EXPECT_FALSE(confirmed.recipient);
  const Audience registered = audienceOf(test::registeredEvent());
  ASSERT_TRUE(registered.recipient);
  EXPECT_EQ(registered.recipient->email, "zoe@example.com");
  EXPECT_EQ(audienceOf(test::lowStockEvent()).kind, Audience::Kind::kAdmins);
  events::Event other{"evt_x", "product.updated", 1, "", "catalog", "{}"};
  EXPECT_EQ(audienceOf(other).kind, Audience::Kind::kNone);
  EXPECT_FALSE(composeNotification(other, recipient_, templates_, shop_));
}

TEST_F(ComposeTest, OrderConfirmedShowsEveryLineAndTotalInBothParts) {
  const auto message = composeNotification(test::orderEvent("order.confirmed", test::sampleOrder()),
                                           recipient_, templates_, shop_);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->subject, "Your Emporium order ORD-1042 is confirmed");
  EXPECT_EQ(message->to, "Jürgen Müller <jurgen@example.com>");
  EXPECT_EQ(mimeHeader(toMime(*message, kDate), "To"),
            "=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jurgen@example.com>");
  EXPECT_EQ(message->from, shop_.from);
  for (const std::string* part : {&message->text, &message->html}) {
    for (const char* expected :
         {"ORD-1042", "MUG-BLUE-350", "TEE-ORG-M", "Organic T-shirt, size M", "€12.99", "€25.98",
          "€28.99", "€54.97", "€4.99", "€10.44", "€70.40", "Torstraße 12", "Hinterhaus", "10119",
          "Berlin", "https://shop.example/orders/ord_01JDQ5M4W9K3ZB8X7Y6V5T4S3R"}) {
      EXPECT_NE(part->find(expected), std::string::npos) << expected << " in\n" << *part;
    }
  }
  EXPECT_NE(message->text.find("Enamel mug <blue>"), std::string::npos);
  EXPECT_NE(message->html.find("Enamel mug &lt;blue&gt;"), std::string::npos);
  EXPECT_EQ(message->html.find("<blue>"), std::string::npos);
  EXPECT_NE(message->text.find("2 x €12.99 = €25.98"), std::string::npos) << message->text;
  // The whole message is writable.
  const std::string mime = toMime(*message, kDate);
  EXPECT_NE(mimePart(mime, "text/plain").find("€70.40"), std::string::npos);
}

TEST_F(ComposeTest, OrderShippedShowsCarrierAndTracking) {
  orders::Order order = test::sampleOrder();
  order.status = orders::OrderStatus::kShipped;
  order.carrier = "DHL";
  order.tracking_number = "JJD0099887766";
  const auto message =
      composeNotification(test::orderEvent("order.shipped", order), recipient_, templates_, shop_);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->subject, "Your Emporium order ORD-1042 has shipped");
  for (const std::string* part : {&message->text, &message->html}) {
    EXPECT_NE(part->find("DHL"), std::string::npos);
    EXPECT_NE(part->find("JJD0099887766"), std::string::npos);
  }
}

TEST_F(ComposeTest, OrderCancelled) {
  const auto message = composeNotification(test::orderEvent("order.cancelled", test::sampleOrder()),
                                           recipient_, templates_, shop_);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->subject, "Your Emporium order ORD-1042 was cancelled");
  EXPECT_NE(message->text.find("€70.40"), std::string::npos);
  EXPECT_NE(message->html.find("cancelled"), std::string::npos);
}

// The audit found mail for shipped but none for delivered or refunded.
TEST_F(ComposeTest, OrderDeliveredAndRefunded) {
  orders::Order order = test::sampleOrder();
  order.status = orders::OrderStatus::kDelivered;
  auto message = composeNotification(test::orderEvent("order.delivered", order), recipient_,
                                     templates_, shop_);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->subject, "Your Emporium order ORD-1042 was delivered");
  EXPECT_NE(message->html.find("delivered"), std::string::npos);
  order.status = orders::OrderStatus::kRefunded;
  message =
      composeNotification(test::orderEvent("order.refunded", order), recipient_, templates_, shop_);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->subject, "Your Emporium order ORD-1042 was refunded");
  EXPECT_NE(message->text.find("€70.40"), std::string::npos);
  EXPECT_NE(message->html.find("refunded"), std::string::npos);
}

// A partial refund's mail says how much came back, not the order's total.
TEST_F(ComposeTest, PartialRefundMailSaysTheAmount) {
  orders::Order order = test::sampleOrder();
  order.status = orders::OrderStatus::kShipped;
  order.refunded_total = 1299;
  orders::Refund refund{"orf_1",   1299,        {{"MUG-BLUE-350", 1, true}},
                        "chipped", "usr_admin", "2026-11-27T10:00:00.000000Z",
                        false};
  events::Event event = test::orderEvent("order.refunded", order);
  event.payload = orders::refundEventPayload(order, refund, false);
  const auto message = composeNotification(event, recipient_, templates_, shop_);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->subject, "Your Emporium order ORD-1042 was refunded");
  EXPECT_NE(message->text.find("€12.99"), std::string::npos) << message->text;
  EXPECT_EQ(message->text.find("€70.40"), std::string::npos);
  EXPECT_NE(message->html.find("€12.99"), std::string::npos);
}

TEST_F(ComposeTest, WelcomeAndStableMessageIds) {
  const events::Event event = test::registeredEvent();
  const Recipient zoe{"zoe@example.com", "Zoë Ångström"};
  const auto first = composeNotification(event, zoe, templates_, shop_);
  const auto again = composeNotification(event, zoe, templates_, shop_);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->subject, "Welcome to Emporium, Zoë Ångström");
  EXPECT_NE(first->html.find("Zoë Ångström"), std::string::npos);
  EXPECT_EQ(first->message_id, again->message_id);
  EXPECT_TRUE(first->message_id.starts_with(event.id + "."));
  EXPECT_TRUE(first->message_id.ends_with("@emporium"));
  EXPECT_EQ(messageIdFor(event.id, "ZOE@example.com"), first->message_id);
  EXPECT_NE(messageIdFor(event.id, "other@example.com"), first->message_id);
  EXPECT_NE(messageIdFor("evt_other", "zoe@example.com"), first->message_id);
}

TEST_F(ComposeTest, LowStockGoesToEachAdminOnce) {
  const std::vector<Recipient> admins{
      {"ops@example.com", "Ops"}, {"boss@example.com", ""}, {"OPS@example.com", "Ops again"}};
  const auto messages = composeLowStock(test::lowStockEvent(), admins, templates_, shop_);
  ASSERT_EQ(messages.size(), 2U);
  EXPECT_EQ(messages[0].to, "Ops <ops@example.com>");
  EXPECT_EQ(messages[1].to, "boss@example.com");
  EXPECT_NE(messages[0].message_id, messages[1].message_id);
  for (const auto& m : messages) {
    EXPECT_EQ(m.subject, "[Emporium] Low stock: MUG-BLUE-350 (3 left)");
    EXPECT_NE(m.text.find("3 available"), std::string::npos);
    EXPECT_NE(m.html.find("MUG-BLUE-350"), std::string::npos);
    EXPECT_NE(m.html.find(">5<"), std::string::npos);
  }
  EXPECT_TRUE(composeLowStock(test::lowStockEvent(), {}, templates_, shop_).empty());
}

TEST_F(ComposeTest, MalformedPayloadsThrow) {
  const orders::Order order = test::sampleOrder();
  events::Event event = test::orderEvent("order.confirmed", order);
  const std::string good = event.payload;
  auto composeWith = [&](std::string payload) {
    event.payload = std::move(payload);
    return composeNotification(event, recipient_, templates_, shop_);
  };
  EXPECT_THROW(composeWith("not json"), PayloadError);
  EXPECT_THROW(composeWith("[]"), PayloadError);
  EXPECT_THROW(composeWith(R"({"user_id": "u"})"), PayloadError);
  EXPECT_THROW(composeWith(R"({"user_id": "u", "order": "ORD-1"})"), PayloadError);
  std::string bad = good;
  bad.replace(bad.find(R"("quantity":2)"), 12, R"("quantity":"2")");
  EXPECT_THROW(composeWith(bad), PayloadError);
  bad = good;
  bad.replace(bad.find("\"totals\""), 8, "\"totalz\"");
  EXPECT_THROW(composeWith(bad), PayloadError);
  EXPECT_NO_THROW(composeWith(good));
  event.version = 2;
  EXPECT_THROW(composeWith(good), PayloadError);

  events::Event stock = test::lowStockEvent();
  stock.payload = R"({"sku": "X", "available": "three", "threshold": 5})";
  EXPECT_THROW(composeLowStock(stock, {recipient_}, templates_, shop_), PayloadError);
  events::Event registered = test::registeredEvent();
  registered.payload = R"({"user_id": "u"})";
  EXPECT_THROW(audienceOf(registered), PayloadError);
}

}  // namespace
}  // namespace emporium::notifications
