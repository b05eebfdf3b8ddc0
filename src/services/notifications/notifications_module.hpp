#pragma once
// The notifications service assembled over its database ("notifications"):
// mail over SMTP when smtp.url is set, else .eml files under
// <data_dir>/mail; recipients from the users service's contract.

#include <memory>
#include <string>

#include "core/config/config.hpp"
#include "core/log/logger.hpp"
#include "core/module/module.hpp"
#include "core/sql/database.hpp"
#include "services/notifications/notifications_service.hpp"
#include "services/notifications/users_directory.hpp"
#include "services/users/client.hpp"

namespace emporium::notifications {

class NotificationsModule final : public module::Module {
 public:
  NotificationsModule(const config::Config& config, sql::Database& db, users::Client& users,
                      const log::Logger& logger);
  ~NotificationsModule() override;

  std::string_view name() const override { return "notifications"; }
  /// The "notifications" consumer.
  std::vector<events::Consumer> consumers() override { return {service_->consumer()}; }

  events::Consumer consumer() { return service_->consumer(); }
  /// See NotificationsService::forget: the next handling mails again.
  void forget(const std::string& event_id) { service_->forget(event_id); }

 private:
  std::unique_ptr<Mailer> mailer_;
  std::unique_ptr<UsersDirectory> directory_;
  std::unique_ptr<NotificationsService> service_;
};

}  // namespace emporium::notifications
