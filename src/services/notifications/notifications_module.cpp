#include "services/notifications/notifications_module.hpp"

#include <chrono>
#include <filesystem>

#include "services/notifications/mail/mailer.hpp"

namespace emporium::notifications {

NotificationsModule::NotificationsModule(const config::Config& config, sql::Database& db,
                                         users::Client& users, const log::Logger& logger) {
  // A mail server that answers slowly holds up one worker thread, never a request.
  constexpr std::chrono::seconds kSmtpTimeout{30};
  if (config.smtp_url) {
    mailer_ = std::make_unique<SmtpMailer>(*config.smtp_url, kSmtpTimeout);
    logger.info("mail will be sent over SMTP", {{"url", config::redactUrl(*config.smtp_url)}});
  } else {
    const auto dir = std::filesystem::path(config.data_dir) / "mail";
    mailer_ = std::make_unique<FileMailer>(dir);
    logger.info("mail written as .eml files (set EMPORIUM_SMTP_URL to send it)",
                {{"dir", dir.string()}});
  }
  directory_ = std::make_unique<UsersDirectory>(users, config.admin_emails);
  NotificationOptions options;
  options.from = config.mail_from;
  if (config.mail_templates_dir) options.templates_dir = *config.mail_templates_dir;
  service_ = std::make_unique<NotificationsService>(db, *mailer_, *directory_, options, logger);
}

NotificationsModule::~NotificationsModule() = default;

}  // namespace emporium::notifications
