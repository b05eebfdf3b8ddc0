#include "services/notifications/notifications_service.hpp"

#include <set>

#include "core/events/outbox.hpp"
#include "core/util/ids.hpp"
#include "services/notifications/storage/schema.hpp"

namespace emporium::notifications {
namespace {

constexpr sql::Query kInsertSentMail{
    "notifications.insert_sent_mail",
    "INSERT INTO sent_mail (event_id, recipient, subject, message_id, sent_at) "
    "VALUES ($1, $2, $3, $4, $5)"};

constexpr sql::Query kSentForEvent{"notifications.sent_for_event",
                                   "SELECT message_id FROM sent_mail WHERE event_id = $1"};

constexpr sql::Query kForgetSentMail{"notifications.forget_sent_mail",
                                     "DELETE FROM sent_mail WHERE event_id = $1"};

void insertSent(sql::Session& session, const events::Event& event,
                const std::vector<NotificationsService::SentRow>& sent) {
  for (const auto& row : sent) {
    const std::string recipient = addressOf(row.message->to);
    session.execute(kInsertSentMail, {event.id, recipient, row.message->subject,
                                      row.message->message_id, row.sent_at});
  }
}

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
          {kPatterns.begin(), kPatterns.end()},
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
  // Messages an earlier, failed attempt at a fan-out already sent.
  const std::set<std::string> already_sent = db_.read([&](sql::Session& session) {
    std::set<std::string> ids;
    for (const auto& row : session.execute(kSentForEvent, {event.id})) ids.insert(row.getText(0));
    return ids;
  });
  std::vector<SentRow> sent;
  for (const MailMessage& message : messages) {
    if (already_sent.contains(message.message_id)) continue;
    try {
      mailer_.send(message);
    } catch (const MailError& e) {
      // Keep what did go out, so the retry does not mail those recipients
      // again; the event stays unclaimed and the failure propagates.
      if (!sent.empty()) recordPartial(event, sent);
      // A refusal for good (a 5xx, an address the mailer cannot write) would
      // fail the same way on every retry: dead-letter it now, saying why.
      if (!e.transient()) throw events::PermanentFailure(std::string("mail refused: ") + e.what());
      throw;
    } catch (...) {
      if (!sent.empty()) recordPartial(event, sent);
      throw;
    }
    sent.push_back({&message, util::nowRfc3339()});
  }
  db_.write([&](sql::Session& session) {
    // false: another worker recorded it between our check and now; its rows
    // are already there (and the recipient may get two copies with one
    // Message-ID, which at-least-once delivery allows).
    if (!events::claimEvent(session, kConsumerName, event.id)) return;
    insertSent(session, event, sent);
  });
  for (const SentRow& row : sent) {
    logger_.info(
        "mail sent",
        {{"event_id", event.id}, {"type", event.type}, {"message_id", row.message->message_id}});
  }
}

void NotificationsService::forget(const std::string& event_id) {
  db_.write([&](sql::Session& session) {
    events::forgetEvent(session, kConsumerName, event_id);
    session.execute(kForgetSentMail, {event_id});
  });
}

void NotificationsService::recordPartial(const events::Event& event,
                                         const std::vector<SentRow>& sent) {
  try {
    db_.write([&](sql::Session& session) { insertSent(session, event, sent); });
  } catch (const std::exception& e) {
    // The send error is the one worth propagating; this only costs a resend.
    logger_.warn("could not record a partial fan-out",
                 {{"event_id", event.id}, {"error", std::string_view(e.what())}});
  }
}

}  // namespace emporium::notifications
