-- A charge may be refunded several times, in parts, up to its amount (the
-- running total on the charge makes each refund one conditional UPDATE).
-- SQLite cannot drop the old UNIQUE (charge_id): the table is rebuilt.
ALTER TABLE sandbox_charges ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0;
UPDATE sandbox_charges SET refunded_amount = amount
  WHERE id IN (SELECT charge_id FROM sandbox_refunds);
CREATE TABLE sandbox_refunds_v2 (
  id              TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  charge_id       TEXT NOT NULL REFERENCES sandbox_charges (id),
  amount          INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL
);
INSERT INTO sandbox_refunds_v2 (id, idempotency_key, charge_id, amount, created_at)
  SELECT r.id, r.idempotency_key, r.charge_id, c.amount, r.created_at
  FROM sandbox_refunds r JOIN sandbox_charges c ON c.id = r.charge_id;
DROP TABLE sandbox_refunds;
ALTER TABLE sandbox_refunds_v2 RENAME TO sandbox_refunds;
CREATE INDEX sandbox_refunds_by_charge ON sandbox_refunds (charge_id, created_at);
