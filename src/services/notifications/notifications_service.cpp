#include "services/notifications/notifications_service.hpp"

#include "core/events/outbox.hpp"
#include "core/util/ids.hpp"
#include "services/notifications/storage/schema.hpp"

namespace emporium::notifications {
namespace {

constexpr sql::Query kInsertSentMail{
    "notifications.insert_sent_mail",
    "INSERT INTO sent_mail (event_id, recipient, subject, message_id, sent_at) "
    "VALUES ($1, $2, $3, $4, $5)"};

}  // namespace

NotificationsService::NotificationsService(sql::Database& db, Mailer& mailer,
                                           RecipientDirectory& directory,
                                           NotificationOptions options, const log::Logger& logger)
    : db_(db),
      mailer_(mailer),
      directory_(directory),
      shop_{std::move(options.shop_name), std::move(options.from), std::move(options.base_url)},
      templates_(Templates::load(options.templates_dir)),
      logger_(logger) {
  sql::applyMigrations(db_, migrations());
}

events::Consumer NotificationsService::consumer() {
  return {std::string(kConsumerName),
          {"user.registered", "order.confirmed", "order.shipped", "order.cancelled", "stock.low"},
          [this](const events::Event& event) { handle(event); }};
}

std::vector<MailMessage> NotificationsService::compose(const events::Event& event) {
  const Audience audience = audienceOf(event);
  switch (audience.kind) {
    case Audience::Kind::kNone:
      return {};
    case Audience::Kind::kAdmins:
      return composeLowStock(event, directory_.admins(), templates_, shop_);
    case Audience::Kind::kUser:
      break;
  }
  std::optional<Recipient> recipient = audience.recipient;
  if (!recipient) recipient = directory_.user(audience.user_id);
  if (!recipient) {
    // Retrying cannot make a deleted user reappear; looping until the event
    // is dead-lettered would only bury real failures.
    logger_.warn("notification for an unknown user skipped",
                 {{"event_id", event.id}, {"type", event.type}, {"user_id", audience.user_id}});
    return {};
  }
  std::vector<MailMessage> messages;
  if (auto message = composeNotification(event, *recipient, templates_, shop_)) {
    messages.push_back(std::move(*message));
  }
  return messages;
}

void NotificationsService::handle(const events::Event& event) {
  if (events::wasProcessed(db_, kConsumerName, event.id)) {
    logger_.debug("duplicate event skipped", {{"event_id", event.id}, {"type", event.type}});
    return;
  }
  const std::vector<MailMessage> messages = compose(event);
  std::vector<std::string> sent_at;
  sent_at.reserve(messages.size());
  for (const MailMessage& message : messages) {
    mailer_.send(message);
    sent_at.push_back(util::nowRfc3339());
  }
  db_.write([&](sql::Session& session) {
    // false: another worker recorded it between our check and now; its rows
    // are already there (and the recipient may get two copies with one
    // Message-ID, which at-least-once delivery allows).
    if (!events::claimEvent(session, kConsumerName, event.id)) return;
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const std::string recipient = addressOf(messages[i].to);
      session.execute(kInsertSentMail, {event.id, recipient, messages[i].subject,
                                        messages[i].message_id, sent_at[i]});
    }
  });
  for (const MailMessage& message : messages) {
    logger_.info(
        "mail sent",
        {{"event_id", event.id}, {"type", event.type}, {"message_id", message.message_id}});
  }
}

}  // namespace emporium::notifications
