#include "app/notifications_wiring.hpp"

#include <filesystem>

namespace emporium::app {

Notifications::Notifications(const config::Config& config, const Databases& databases,
                             users::Client& users, const log::Logger& logger) {
  // A mail server that answers slowly holds up one worker thread, never a request.
  constexpr std::chrono::seconds kSmtpTimeout{30};
  if (config.smtp_url) {
    mailer_ = std::make_unique<notifications::SmtpMailer>(*config.smtp_url, kSmtpTimeout);
    logger.info("mail will be sent over SMTP", {{"url", config::redactUrl(*config.smtp_url)}});
  } else {
    const auto dir = std::filesystem::path(config.data_dir) / "mail";
    mailer_ = std::make_unique<notifications::FileMailer>(dir);
    logger.info("mail written as .eml files (set EMPORIUM_SMTP_URL to send it)",
                {{"dir", dir.string()}});
  }
  directory_ = std::make_unique<notifications::UsersDirectory>(users, config.admin_emails);
  notifications::NotificationOptions options;
  options.from = config.mail_from;
  if (config.mail_templates_dir) options.templates_dir = *config.mail_templates_dir;
  service_ = std::make_unique<notifications::NotificationsService>(
      *databases.at("notifications"), *mailer_, *directory_, options, logger);
}

Notifications::~Notifications() = default;

}  // namespace emporium::app
