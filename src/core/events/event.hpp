#pragma once
// A domain event: a fact one service records and others act on ("order.confirmed",
// "user.registered"). Events are written to the producing service's outbox in
// the same transaction as the state change, then delivered at least once to
// every consumer that subscribed to their type; consumers make that exactly
// once in effect by recording the ids they have processed.

#include <optional>
#include <string>
#include <string_view>

namespace emporium::events {

struct Event {
  std::string id;           // "evt_<ULID>": unique, sorts by creation time
  std::string type;         // "order.confirmed"; the AMQP routing key
  int version = 1;          // of the payload's shape for this type
  std::string occurred_at;  // RFC 3339 UTC, microseconds (util::nowRfc3339)
  std::string source;       // the service whose outbox holds it ("orders")
  std::string payload;      // a JSON object, as text
};

/// The wire form: {"id","type","version","occurred_at","source","payload":{...}}.
std::string toJson(const Event& event);

/// Parses toJson()'s form; nullopt when the text is not an event (a required
/// member missing or of the wrong type, or payload not an object).
std::optional<Event> parseEvent(std::string_view json);

/// AMQP-style topic match: words are separated by '.', '*' matches exactly one
/// word and '#' zero or more. "order.*" matches "order.confirmed".
bool topicMatches(std::string_view pattern, std::string_view type);

}  // namespace emporium::events
