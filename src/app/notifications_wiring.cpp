#include "app/notifications_wiring.hpp"

#include <algorithm>
#include <filesystem>

namespace emporium::app {

// Addresses from the users service (through its store, never its tables),
// plus the configured operations addresses for admin mail.
class Notifications::Directory final : public notifications::RecipientDirectory {
 public:
  Directory(users::UserStore& users, std::vector<std::string> admin_emails)
      : users_(users), admin_emails_(std::move(admin_emails)) {}

  std::optional<notifications::Recipient> user(const std::string& user_id) override {
    auto found = users_.findById(user_id);
    if (!found) return std::nullopt;
    return notifications::Recipient{std::move(found->email), std::move(found->name)};
  }

  std::vector<notifications::Recipient> admins() override {
    std::vector<notifications::Recipient> admins;
    for (const auto& email : admin_emails_) admins.push_back({email, "Shop admin"});
    for (auto& user : users_.admins()) {
      const bool listed = std::any_of(admins.begin(), admins.end(),
                                      [&](const auto& a) { return a.email == user.email; });
      if (!listed) admins.push_back({std::move(user.email), std::move(user.name)});
    }
    return admins;
  }

 private:
  users::UserStore& users_;
  std::vector<std::string> admin_emails_;
};

Notifications::Notifications(const config::Config& config, const Databases& databases,
                             users::UserStore& users, const log::Logger& logger) {
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
  directory_ = std::make_unique<Directory>(users, config.admin_emails);
  notifications::NotificationOptions options;
  options.from = config.mail_from;
  if (config.mail_templates_dir) options.templates_dir = *config.mail_templates_dir;
  service_ = std::make_unique<notifications::NotificationsService>(
      *databases.at("notifications"), *mailer_, *directory_, options, logger);
}

Notifications::~Notifications() = default;

}  // namespace emporium::app
