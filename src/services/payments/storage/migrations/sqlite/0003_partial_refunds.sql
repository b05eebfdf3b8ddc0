-- Several refunds per payment (partial refunds), up to its amount: the
-- running total is on the payment, so a refund is one conditional UPDATE.
-- Each refund is idempotent per key (the orders service's refund id). SQLite
-- cannot drop the old UNIQUE (payment_id): the table is rebuilt.
ALTER TABLE payments ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0;
UPDATE payments SET refunded_amount = amount WHERE status = 'refunded';
CREATE TABLE refunds_v2 (
  id                 TEXT PRIMARY KEY,
  payment_id         TEXT NOT NULL REFERENCES payments (id),
  amount             INTEGER NOT NULL,
  status             TEXT NOT NULL,
  provider_refund_id TEXT,
  created_at         TEXT NOT NULL,
  idempotency_key    TEXT UNIQUE
);
INSERT INTO refunds_v2 (id, payment_id, amount, status, provider_refund_id, created_at)
  SELECT id, payment_id, amount, status, provider_refund_id, created_at FROM refunds;
DROP TABLE refunds;
ALTER TABLE refunds_v2 RENAME TO refunds;
CREATE INDEX refunds_by_payment ON refunds (payment_id);
