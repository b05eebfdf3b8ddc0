-- Activity and analytics events (product viewed, searched, ...), replayable
-- from a point in time. Append-only; old rows are purged after the retention.
CREATE TABLE activity_log (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX activity_log_occurred_at ON activity_log (occurred_at);
