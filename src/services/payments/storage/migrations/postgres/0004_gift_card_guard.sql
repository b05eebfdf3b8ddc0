-- Failed gift-card redemptions, counted in a sliding window per scope
-- ("payer:<hash>", "address:<hash>"; see domain/gift_card_guard.hpp), with
-- the shape core/ratelimit/failed_attempts.hpp expects: an attempt writes its
-- rows before the code is looked up and deletes them when the code was
-- right, so concurrent guesses cannot slip past the cap together. failed_at
-- is seconds since the epoch.
CREATE TABLE gift_card_failures (
  attempt_id TEXT NOT NULL,
  scope      TEXT NOT NULL,
  failed_at  BIGINT NOT NULL,
  PRIMARY KEY (attempt_id, scope)
);
CREATE INDEX gift_card_failures_scope ON gift_card_failures (scope, failed_at);
CREATE INDEX gift_card_failures_age ON gift_card_failures (failed_at);
-- One row per scope, locked (by a no-op upsert) while an attempt counts.
CREATE TABLE gift_card_scopes (
  scope TEXT PRIMARY KEY
);
