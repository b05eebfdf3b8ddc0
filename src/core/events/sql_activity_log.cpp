#include "core/events/sql_activity_log.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/util/ids.hpp"

namespace emporium::events {

namespace {

constexpr sql::Query kPage{"activity_log.page",
                           "SELECT seq, event_id, type, occurred_at, payload FROM activity_log "
                           "WHERE occurred_at >= $1 AND seq > $2 ORDER BY seq LIMIT 1000"};
constexpr sql::Query kPurgeActivity{"activity_log.purge",
                                    "DELETE FROM activity_log WHERE occurred_at < $1"};

}  // namespace

struct SqlActivityLog::State {
  sql::Database& db;
  ActivityLogOptions options;
  const log::Logger& logger;
  std::mutex mutex;
  std::condition_variable_any wake;
  std::condition_variable written;
  std::deque<Event> queue;
  std::uint64_t enqueued = 0;
  std::uint64_t stored = 0;  // enqueued events written (or given up on)
  std::atomic<std::uint64_t> dropped{0};
  std::chrono::steady_clock::time_point next_purge = std::chrono::steady_clock::now();
  std::jthread writer;

  State(sql::Database& d, ActivityLogOptions o, const log::Logger& l)
      : db(d), options(o), logger(l) {}

  void writeBatch(const std::vector<Event>& batch) {
    static constexpr std::array<std::string_view, 4> kColumns = {"event_id", "type", "occurred_at",
                                                                 "payload"};
    std::vector<sql::Param> values;
    values.reserve(batch.size() * kColumns.size());
    for (const auto& e : batch) {
      values.emplace_back(std::string_view(e.id));
      values.emplace_back(std::string_view(e.type));
      values.emplace_back(std::string_view(e.occurred_at));
      values.emplace_back(std::string_view(e.payload));
    }
    db.write([&](sql::Session& s) { s.insertRows("activity_log", kColumns, values); });
  }

  void purge() {
    if (std::chrono::steady_clock::now() < next_purge) return;
    next_purge = std::chrono::steady_clock::now() + std::chrono::hours(1);
    const std::string cutoff =
        util::formatRfc3339(std::chrono::system_clock::now() - options.retention);
    db.write([&](sql::Session& s) { s.execute(kPurgeActivity, {cutoff}); });
  }

  void run(const std::stop_token& stop) {
    while (true) {
      std::vector<Event> batch;
      {
        std::unique_lock lock(mutex);
        wake.wait_for(lock, stop, options.flush_interval, [&] { return queue.size() >= 500; });
        while (!queue.empty() && batch.size() < 2000) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
      }
      if (!batch.empty()) {
        try {
          writeBatch(batch);
        } catch (const std::exception& e) {
          // Analytics: lose the batch rather than grow without bound.
          dropped.fetch_add(batch.size(), std::memory_order_relaxed);
          logger.warn("activity log write failed; batch dropped",
                      {{"events", static_cast<std::int64_t>(batch.size())}, {"error", e.what()}});
        }
        {
          const std::lock_guard lock(mutex);
          stored += batch.size();
        }
        written.notify_all();
      }
      try {
        purge();
      } catch (const std::exception& e) {
        logger.warn("activity log purge failed", {{"error", e.what()}});
      }
      if (stop.stop_requested()) {
        const std::lock_guard lock(mutex);
        if (queue.empty()) return;
      }
    }
  }
};

SqlActivityLog::SqlActivityLog(sql::Database& db, ActivityLogOptions options,
                               const log::Logger& logger)
    : state_(std::make_unique<State>(db, options, logger)) {
  state_->writer = std::jthread([s = state_.get()](const std::stop_token& stop) { s->run(stop); });
}

SqlActivityLog::~SqlActivityLog() {
  state_->writer.request_stop();
  state_->wake.notify_all();
  state_->writer.join();
}

void SqlActivityLog::record(std::string_view type, std::string payload) {
  Event event;
  event.id = util::newId("evt");
  event.type = std::string(type);
  event.occurred_at = util::nowRfc3339();
  event.source = "activity";
  event.payload = std::move(payload);
  {
    const std::lock_guard lock(state_->mutex);
    if (state_->queue.size() >= state_->options.queue_capacity) {
      state_->dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    state_->queue.push_back(std::move(event));
    ++state_->enqueued;
  }
}

void SqlActivityLog::flush() {
  std::unique_lock lock(state_->mutex);
  const std::uint64_t target = state_->enqueued;
  state_->wake.notify_all();
  state_->written.wait(lock, [&] { return state_->stored >= target; });
}

std::size_t SqlActivityLog::replay(std::chrono::system_clock::time_point from,
                                   const std::function<void(const Event&)>& sink) {
  const std::string since = util::formatRfc3339(from);
  std::int64_t after = 0;
  std::size_t count = 0;
  while (true) {
    std::vector<Event> page;
    state_->db.read([&](sql::Session& s) {
      for (const auto& row : s.execute(kPage, {since, after})) {
        after = row.getInt64(0);
        Event e;
        e.id = row.getText(1);
        e.type = row.getText(2);
        e.occurred_at = row.getText(3);
        e.payload = row.getText(4);
        e.source = "activity";
        page.push_back(std::move(e));
      }
    });
    if (page.empty()) return count;
    for (const auto& e : page) sink(e);
    count += page.size();
  }
}

std::uint64_t SqlActivityLog::dropped() const noexcept { return state_->dropped.load(); }

}  // namespace emporium::events
