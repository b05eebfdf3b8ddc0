#pragma once
// The notifications service: consumes domain events and mails customers and
// admins. Sending is a side effect outside the database, so each event is
// checked (wasProcessed), sent, then recorded (claimEvent + sent_mail) in one
// transaction: a crash between send and record resends the same message (same
// Message-ID) on redelivery; it never loses one.

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/events/consumer.hpp"
#include "core/events/event.hpp"
#include "core/log/logger.hpp"
#include "core/sql/database.hpp"
#include "services/notifications/domain/compose.hpp"
#include "services/notifications/domain/templates.hpp"
#include "services/notifications/mail/mailer.hpp"

namespace emporium::notifications {

/// Where addresses come from: the users service in the app, a fake in tests.
class RecipientDirectory {
 public:
  virtual ~RecipientDirectory() = default;
  /// The user's address and name; nullopt when there is no such user (deleted).
  virtual std::optional<Recipient> user(const std::string& user_id) = 0;
  /// Everyone who gets operational mail (low stock).
  virtual std::vector<Recipient> admins() = 0;
};

struct NotificationOptions {
  std::string shop_name = "Emporium";
  std::string from = "Emporium <shop@emporium.invalid>";
  std::string base_url;  // links in mail; empty: none
  /// <name>.txt / <name>.html here override the built-in templates.
  std::optional<std::filesystem::path> templates_dir;
};

class NotificationsService {
 public:
  static constexpr std::string_view kConsumerName = "notifications";
  /// The events it mails about; its queue's bindings on RabbitMQ.
  static constexpr std::array<std::string_view, 7> kPatterns = {
      "user.registered", "order.confirmed", "order.shipped", "order.delivered",
      "order.cancelled", "order.refunded",  "stock.low"};

  /// db is the service's own database ("notifications"); migrations are
  /// applied here. All references outlive the service. Loads the templates
  /// now: throws TemplateError when an override does not parse.
  NotificationsService(sql::Database& db, Mailer& mailer, RecipientDirectory& directory,
                       NotificationOptions options, const log::Logger& logger);

  /// Subscribes handle() to user.registered, order.confirmed, order.shipped,
  /// order.cancelled and stock.low.
  events::Consumer consumer();

  /// Sends the event's mail once. Throws (so the event is retried, then
  /// dead-lettered) on a malformed payload, a MailError or a database error;
  /// the event is not recorded then, so the retry sends. When a fan-out fails
  /// part way, the messages that did go out are recorded in sent_mail and the
  /// retry skips them. An unknown user is not an error: it is logged and the
  /// event recorded as done.
  void handle(const events::Event& event);

  /// Makes the next handle() of this event send its mail again (`emporium
  /// events replay --to notifications`): deletes the processed-event record
  /// and the event's sent_mail rows, which would otherwise make handle() skip
  /// every recipient as already mailed. The resend records them anew.
  void forget(const std::string& event_id);

  /// A message the mailer accepted, and when.
  struct SentRow {
    const MailMessage* message;
    std::string sent_at;
  };

 private:
  std::vector<MailMessage> compose(const events::Event& event);
  void recordPartial(const events::Event& event, const std::vector<SentRow>& sent);

  sql::Database& db_;
  Mailer& mailer_;
  RecipientDirectory& directory_;
  ShopInfo shop_;
  Templates templates_;
  const log::Logger& logger_;
};

}  // namespace emporium::notifications
