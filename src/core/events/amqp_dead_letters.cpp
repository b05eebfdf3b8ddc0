#include "core/events/amqp_dead_letters.hpp"

#include <chrono>

#include "core/events/amqp_consumer.hpp"
#include "core/util/ids.hpp"

namespace emporium::events {
namespace {

DeadLetter toDeadLetter(const Delivery& delivery, const std::string& consumer) {
  DeadLetter letter;
  if (auto event = parseEvent(delivery.body)) letter.event = std::move(*event);
  letter.consumer = consumer;
  letter.attempts = static_cast<int>(tableInt(delivery.headers, "x-attempts").value_or(0));
  letter.last_error = tableString(delivery.headers, "x-last-error");
  letter.dead_at = tableString(delivery.headers, "x-dead-at");
  letter.raw_body = delivery.body;
  return letter;
}

std::string idOf(const Delivery& delivery) {
  if (!delivery.message_id.empty()) return delivery.message_id;
  if (auto event = parseEvent(delivery.body)) return event->id;
  return {};
}

}  // namespace

std::vector<DeadLetter> listDeadLetters(const AmqpOptions& options, const std::string& consumer,
                                        std::size_t limit) {
  AmqpConnection connection(options.url);
  const std::string dlq = deadLetterQueueName(options, consumer);
  const std::uint32_t count = connection.declareQueue(dlq);
  std::vector<DeadLetter> letters;
  // Unacked gets stay with this channel until it closes, then go back in
  // their old places; bounded by the count at the start so messages
  // dead-lettered meanwhile cannot keep the loop going.
  while (letters.size() < std::min<std::size_t>(limit, count)) {
    std::optional<Delivery> delivery = connection.get(dlq);
    if (!delivery) break;
    letters.push_back(toDeadLetter(*delivery, consumer));
  }
  return letters;
}

std::size_t replayDeadLetters(const AmqpOptions& options, const std::string& consumer,
                              const std::string& event_id) {
  AmqpConnection connection(options.url);
  const std::string dlq = deadLetterQueueName(options, consumer);
  const std::string main = mainQueueName(options, consumer);
  const std::uint32_t count = connection.declareQueue(dlq);
  connection.declareQueue(main);
  connection.confirmSelect();
  std::size_t moved = 0;
  std::vector<std::uint64_t> keep;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::optional<Delivery> delivery = connection.get(dlq);
    if (!delivery) break;
    if (!event_id.empty() && idOf(*delivery) != event_id) {
      keep.push_back(delivery->delivery_tag);
      continue;
    }
    connection.publish(OutgoingMessage{
        .exchange = "",
        .routing_key = main,
        .body = delivery->body,
        .message_id = delivery->message_id,
        .type = delivery->type,
        .headers = AmqpTable{{"x-attempt", std::int64_t{1}},
                             {"x-replayed-at", util::nowRfc3339()},
                             {"x-routing-key", tableString(delivery->headers, "x-routing-key")}}});
    // Acked only once the copy is confirmed in the main queue: a failure
    // in between leaves a duplicate, never a loss.
    if (!connection.waitConfirms(kAmqpConfirmTimeout).empty()) {
      throw AmqpError("the broker nacked the replay of " + idOf(*delivery));
    }
    connection.ack(delivery->delivery_tag);
    ++moved;
  }
  for (const std::uint64_t tag : keep) connection.reject(tag, /*requeue=*/true);
  return moved;
}

}  // namespace emporium::events
