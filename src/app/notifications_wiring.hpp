#pragma once
// The notifications service as serve assembles it: mail over SMTP when
// smtp.url is set, else .eml files under <data_dir>/mail; recipients from the
// users service.

#include <memory>

#include "app/services.hpp"
#include "core/config/config.hpp"
#include "core/log/logger.hpp"
#include "services/notifications/notifications_service.hpp"
#include "services/notifications/users_directory.hpp"
#include "services/users/client.hpp"

namespace emporium::app {

class Notifications {
 public:
  Notifications(const config::Config& config, const Databases& databases, users::Client& users,
                const log::Logger& logger);
  ~Notifications();
  Notifications(const Notifications&) = delete;
  Notifications& operator=(const Notifications&) = delete;

  events::Consumer consumer() { return service_->consumer(); }
  /// See NotificationsService::forget: the next handling mails again.
  void forget(const std::string& event_id) { service_->forget(event_id); }

 private:
  std::unique_ptr<notifications::Mailer> mailer_;
  std::unique_ptr<notifications::UsersDirectory> directory_;
  std::unique_ptr<notifications::NotificationsService> service_;
};

}  // namespace emporium::app
