-- Failed sign-ins, counted in a sliding window per scope ("account:<hash>",
-- "address:<hash>", "device:<nonce>"; see domain/sign_in_guard.hpp). An
-- attempt writes its rows before the password is checked and deletes them
-- when it succeeds, so concurrent guesses cannot slip past the cap together.
-- failed_at is seconds since the epoch: the window is compared as numbers.
CREATE TABLE sign_in_failures (
  attempt_id TEXT NOT NULL,
  scope      TEXT NOT NULL,
  failed_at  BIGINT NOT NULL,
  PRIMARY KEY (attempt_id, scope)
);
CREATE INDEX sign_in_failures_scope ON sign_in_failures (scope, failed_at);
CREATE INDEX sign_in_failures_age ON sign_in_failures (failed_at);
-- One row per scope, locked (by a no-op upsert) while an attempt counts, so
-- the count and the insert of concurrent attempts are serialised per scope.
CREATE TABLE sign_in_scopes (
  scope TEXT PRIMARY KEY
);
-- The key that signs device cookies (base64, 32 bytes): one row, made on the
-- first start.
CREATE TABLE device_cookie_key (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  secret TEXT NOT NULL
);
