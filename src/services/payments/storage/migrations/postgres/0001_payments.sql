-- Payments of orders. Card details are the provider's token, the brand and
-- the last four digits only: card numbers never reach Emporium.
CREATE TABLE payments (
  id                 TEXT PRIMARY KEY,
  order_id           TEXT NOT NULL,
  idempotency_key    TEXT NOT NULL UNIQUE,
  method             TEXT NOT NULL CHECK (method IN ('card', 'gift_card', 'cod')),
  status             TEXT NOT NULL
                     CHECK (status IN ('pending', 'captured', 'declined', 'failed', 'refunded', 'voided')),
  amount             BIGINT NOT NULL CHECK (amount > 0),
  currency           TEXT NOT NULL,
  card_token         TEXT,
  card_brand         TEXT,
  card_last4         TEXT,
  gift_card_code     TEXT,
  provider_charge_id TEXT,
  decline_reason     TEXT,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);
CREATE INDEX payments_order ON payments (order_id, created_at);

-- Full refunds only, so at most one per payment: the UNIQUE makes a repeated
-- refund a no-op rather than a second row.
CREATE TABLE refunds (
  id                 TEXT PRIMARY KEY,
  payment_id         TEXT NOT NULL UNIQUE REFERENCES payments (id),
  amount             BIGINT NOT NULL,
  status             TEXT NOT NULL,
  provider_refund_id TEXT,
  created_at         TEXT NOT NULL
);

-- Codes are stored upper-case; the CHECK is the last line of defence against
-- a debit below zero (the debit itself is a conditional UPDATE).
CREATE TABLE gift_cards (
  code       TEXT PRIMARY KEY,
  balance    BIGINT NOT NULL CHECK (balance >= 0),
  currency   TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Every movement of a gift card's balance: issue (+), debit (-), refund (+).
CREATE TABLE gift_card_ledger (
  id         TEXT PRIMARY KEY,
  code       TEXT NOT NULL REFERENCES gift_cards (code),
  payment_id TEXT,
  delta      BIGINT NOT NULL,
  at         TEXT NOT NULL
);
CREATE INDEX gift_card_ledger_code ON gift_card_ledger (code, at);
