#pragma once
// Turns a domain event into the mail it causes: parses the payload (shapes in
// docs/events.md), builds the template's view (money formatted, URLs made),
// renders it and addresses the message. Pure: no I/O, unit-testable.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/event.hpp"
#include "services/notifications/domain/templates.hpp"
#include "services/notifications/mail/mail_message.hpp"

namespace emporium::notifications {

struct Recipient {
  std::string email;
  std::string name;
};

/// What every message says about the shop.
struct ShopInfo {
  std::string name = "Emporium";
  std::string from = "Emporium <shop@emporium.invalid>";  // the From mailbox
  std::string base_url;  // "https://shop.example"; empty: mail carries no links
};

/// The event's payload is not what its type and version promise. Thrown so
/// the event is retried and then dead-lettered, where someone will look.
class PayloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Who an event's mail goes to.
struct Audience {
  enum class Kind { kNone, kUser, kAdmins };
  Kind kind = Kind::kNone;  // kNone: the type sends no mail
  std::string user_id;      // kUser
  /// kUser when the payload itself names the recipient (user.registered);
  /// otherwise the caller looks user_id up.
  std::optional<Recipient> recipient;
};

/// The audience of the event; throws PayloadError when the payload lacks it.
Audience audienceOf(const events::Event& event);

/// The mail for one user-facing event (user.registered, order.confirmed,
/// order.shipped, order.cancelled) to `recipient`; nullopt for any other
/// type. Throws PayloadError for a malformed payload or an unknown version.
std::optional<MailMessage> composeNotification(const events::Event& event,
                                               const Recipient& recipient,
                                               const Templates& templates, const ShopInfo& shop);

/// stock.low: one message per admin. Throws PayloadError like the above.
std::vector<MailMessage> composeLowStock(const events::Event& event,
                                         const std::vector<Recipient>& admins,
                                         const Templates& templates, const ShopInfo& shop);

/// "<event id>.<16 hex digits of the recipient's address>@emporium": stable,
/// so a message resent for the same event and recipient has the same id.
std::string messageIdFor(std::string_view event_id, std::string_view recipient_email);

}  // namespace emporium::notifications
