-- The sandbox card processor's own records: tokens, charges and refunds.
-- Persistent so that a restarted sandbox still knows what it charged.
CREATE TABLE sandbox_tokens (
  token      TEXT PRIMARY KEY,
  brand      TEXT NOT NULL,
  last4      TEXT NOT NULL,
  behaviour  TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- One charge per idempotency key, whatever its outcome: a replay returns it.
CREATE TABLE sandbox_charges (
  id              TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  token           TEXT NOT NULL,
  amount          INTEGER NOT NULL,
  currency        TEXT NOT NULL,
  status          TEXT NOT NULL,
  decline_code    TEXT,
  created_at      TEXT NOT NULL
);
CREATE INDEX sandbox_charges_created ON sandbox_charges (created_at);

CREATE TABLE sandbox_refunds (
  id              TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  charge_id       TEXT NOT NULL UNIQUE REFERENCES sandbox_charges (id),
  created_at      TEXT NOT NULL
);

-- Attempts seen per idempotency key, for the card that fails its first tries.
CREATE TABLE sandbox_attempts (
  idempotency_key TEXT PRIMARY KEY,
  attempts        INTEGER NOT NULL
);
