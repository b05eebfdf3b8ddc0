#include "core/events/local_dispatcher.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/sql/database.hpp"

namespace emporium::events {

namespace {

using Clock = std::chrono::steady_clock;

// One event handed out: it is finished when every matching consumer has
// handled it or given up on it.
struct InFlight {
  const Outbox* outbox = nullptr;
  Event event;
  int remaining = 0;
  bool dead = false;
  int attempts = 0;
  std::string error;
};

}  // namespace

struct LocalDispatcher::State {
  // A consumer's queue and thread.
  struct Lane {
    Consumer consumer;
    std::mutex mutex;
    std::condition_variable_any wake;
    std::deque<std::shared_ptr<InFlight>> ready;
    std::multimap<Clock::time_point, std::pair<std::shared_ptr<InFlight>, int>> delayed;
    std::jthread thread;
  };

  std::vector<const Outbox*> outboxes;
  std::vector<std::unique_ptr<Lane>> lanes;
  Doorbell& doorbell;
  DispatcherOptions options;
  const log::Logger& logger;
  EventMetrics& metrics;

  std::mutex mutex;  // guards in_flight, in_flight_per_outbox, finished
  std::unordered_map<std::string, std::shared_ptr<InFlight>> in_flight;
  std::unordered_map<const Outbox*, std::size_t> in_flight_per_outbox;
  std::vector<std::shared_ptr<InFlight>> finished;
  std::jthread reader;
  PublishedPurge purge;

  State(std::vector<const Outbox*> o, Doorbell& d, DispatcherOptions opts, const log::Logger& l,
        EventMetrics& m)
      : outboxes(std::move(o)),
        doorbell(d),
        options(opts),
        logger(l),
        metrics(m),
        purge(PurgeOptions{.retention = opts.retention}) {}

  void finish(const std::shared_ptr<InFlight>& item, bool dead, int attempts,
              const std::string& error) {
    {
      const std::lock_guard lock(mutex);
      if (dead) {
        item->dead = true;
        item->attempts = std::max(item->attempts, attempts);
        item->error = error;
      }
      if (--item->remaining > 0) return;
      finished.push_back(item);
    }
    doorbell.ring();
  }

  void runLane(const std::stop_token& stop, Lane& lane) {
    while (!stop.stop_requested()) {
      std::shared_ptr<InFlight> item;
      int attempt = 0;
      {
        std::unique_lock lock(lane.mutex);
        while (!stop.stop_requested()) {
          if (!lane.ready.empty()) {
            item = std::move(lane.ready.front());
            lane.ready.pop_front();
            attempt = item->attempts;
            break;
          }
          if (!lane.delayed.empty() && lane.delayed.begin()->first <= Clock::now()) {
            auto node = lane.delayed.extract(lane.delayed.begin());
            item = std::move(node.mapped().first);
            attempt = node.mapped().second;
            break;
          }
          if (lane.delayed.empty()) {
            lane.wake.wait(lock, stop, [&] { return !lane.ready.empty(); });
          } else {
            lane.wake.wait_until(lock, stop, lane.delayed.begin()->first,
                                 [&] { return !lane.ready.empty(); });
          }
        }
      }
      if (!item) return;
      handleOne(lane, item, attempt);
    }
  }

  void handleOne(Lane& lane, const std::shared_ptr<InFlight>& item, int previous_attempts) {
    const std::string& name = lane.consumer.name;
    try {
      lane.consumer.handle(item->event);
      metrics.handled(name, secondsSince(item->event.occurred_at));
      finish(item, false, 0, {});
    } catch (const std::exception& e) {
      const int attempts = previous_attempts + 1;
      metrics.failed(name);
      // A permanent failure is not retried: the reason goes to the dead letter now.
      const bool permanent = dynamic_cast<const PermanentFailure*>(&e) != nullptr;
      if (permanent || attempts >= options.retry.max_attempts) {
        metrics.deadLettered(name);
        logger.error("event dead-lettered", {{"consumer", std::string_view(name)},
                                             {"event_id", std::string_view(item->event.id)},
                                             {"type", std::string_view(item->event.type)},
                                             {"attempts", attempts},
                                             {"permanent", permanent},
                                             {"error", e.what()}});
        finish(item, true, attempts, name + ": " + e.what());
        return;
      }
      const auto delay = options.retry.delayAfter(attempts);
      logger.warn("event handling failed; will retry",
                  {{"consumer", std::string_view(name)},
                   {"event_id", std::string_view(item->event.id)},
                   {"attempt", attempts},
                   {"retry_in_ms", static_cast<std::int64_t>(delay.count())},
                   {"error", e.what()}});
      const std::lock_guard lock(lane.mutex);
      lane.delayed.emplace(Clock::now() + delay, std::make_pair(item, attempts));
    }
  }

  // Writes what consumers finished: published, or dead. Runs on the reader.
  void flushFinished() {
    std::vector<std::shared_ptr<InFlight>> batch;
    {
      const std::lock_guard lock(mutex);
      batch.swap(finished);
    }
    if (batch.empty()) return;
    std::unordered_map<const Outbox*, std::vector<std::string>> published;
    std::vector<std::shared_ptr<InFlight>> written;
    std::vector<std::shared_ptr<InFlight>> retry_later;
    for (const auto& item : batch) {
      if (item->dead) {
        try {
          item->outbox->markDead(item->event.id, item->error, item->attempts);
          written.push_back(item);
        } catch (const std::exception& e) {
          logger.warn("outbox write failed", {{"error", e.what()}});
          retry_later.push_back(item);
        }
      } else {
        published[item->outbox].push_back(item->event.id);
      }
    }
    std::size_t count = 0;
    for (const auto& [outbox, ids] : published) {
      try {
        outbox->markPublished(ids);
        count += ids.size();
        for (const auto& item : batch) {
          if (!item->dead && item->outbox == outbox) written.push_back(item);
        }
      } catch (const std::exception& e) {
        logger.warn("outbox write failed",
                    {{"source", std::string_view(outbox->source())}, {"error", e.what()}});
        for (const auto& item : batch) {
          if (!item->dead && item->outbox == outbox) retry_later.push_back(item);
        }
      }
    }
    metrics.published(count);
    const std::lock_guard lock(mutex);
    for (const auto& item : written) {
      in_flight.erase(item->event.id);
      --in_flight_per_outbox[item->outbox];
    }
    finished.insert(finished.end(), retry_later.begin(), retry_later.end());
  }

  void dispatch(const Outbox* outbox, Event event) {
    std::vector<Lane*> targets;
    for (const auto& lane : lanes) {
      for (const auto& pattern : lane->consumer.patterns) {
        if (topicMatches(pattern, event.type)) {
          targets.push_back(lane.get());
          break;
        }
      }
    }
    auto item = std::make_shared<InFlight>();
    item->outbox = outbox;
    item->event = std::move(event);
    item->remaining = static_cast<int>(targets.size());
    {
      const std::lock_guard lock(mutex);
      in_flight.emplace(item->event.id, item);
      ++in_flight_per_outbox[outbox];
      // Nobody subscribes: it is done as soon as it is read.
      if (targets.empty()) finished.push_back(item);
    }
    for (Lane* lane : targets) {
      {
        const std::lock_guard lock(lane->mutex);
        lane->ready.push_back(item);
      }
      lane->wake.notify_one();
    }
  }

  void readOutboxes() {
    for (const Outbox* outbox : outboxes) {
      std::size_t busy = 0;
      {
        const std::lock_guard lock(mutex);
        if (in_flight.size() >= options.max_in_flight) return;
        busy = in_flight_per_outbox[outbox];
      }
      // In-flight rows are still unpublished and come first in seq order, so
      // read past them.
      std::vector<Event> events;
      try {
        events = outbox->due(busy + options.batch);
      } catch (const std::exception& e) {
        logger.warn("outbox read failed",
                    {{"source", std::string_view(outbox->source())}, {"error", e.what()}});
        continue;
      }
      for (auto& event : events) {
        bool known = false;
        {
          const std::lock_guard lock(mutex);
          known = in_flight.contains(event.id);
        }
        if (!known) dispatch(outbox, std::move(event));
      }
    }
  }

  void runReader(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      flushFinished();
      readOutboxes();
      purge.runIfDue(outboxes, logger);
      doorbell.waitFor(options.poll_interval);
    }
    flushFinished();
  }
};

LocalDispatcher::LocalDispatcher(std::vector<const Outbox*> outboxes,
                                 std::vector<Consumer> consumers, Doorbell& doorbell,
                                 DispatcherOptions options, const log::Logger& logger,
                                 EventMetrics& metrics)
    : state_(std::make_unique<State>(std::move(outboxes), doorbell, options, logger, metrics)) {
  for (auto& consumer : consumers) {
    auto lane = std::make_unique<State::Lane>();
    lane->consumer = std::move(consumer);
    state_->lanes.push_back(std::move(lane));
  }
}

LocalDispatcher::~LocalDispatcher() { stop(); }

void LocalDispatcher::start() {
  State& s = *state_;
  for (auto& lane : s.lanes) {
    lane->thread =
        std::jthread([&s, l = lane.get()](const std::stop_token& stop) { s.runLane(stop, *l); });
  }
  s.reader = std::jthread([&s](const std::stop_token& stop) { s.runReader(stop); });
}

void LocalDispatcher::stop() {
  State& s = *state_;
  for (auto& lane : s.lanes) {
    if (lane->thread.joinable()) {
      lane->thread.request_stop();
      lane->wake.notify_all();
      lane->thread.join();
    }
  }
  if (s.reader.joinable()) {
    s.reader.request_stop();
    s.doorbell.ring();
    s.reader.join();
  }
}

bool LocalDispatcher::drain(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    bool idle = true;
    {
      const std::lock_guard lock(state_->mutex);
      idle = state_->in_flight.empty();
    }
    if (idle) {
      std::int64_t pending = 0;
      for (const Outbox* outbox : state_->outboxes) pending += outbox->pendingCount();
      if (pending == 0) return true;
    }
    state_->doorbell.ring();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace emporium::events
