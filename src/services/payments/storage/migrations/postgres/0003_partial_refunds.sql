-- Several refunds per payment (partial refunds), up to its amount: the
-- running total is on the payment, so a refund is one conditional UPDATE.
-- Each refund is idempotent per key (the orders service's refund id).
ALTER TABLE payments ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0;
UPDATE payments SET refunded_amount = amount WHERE status = 'refunded';
ALTER TABLE refunds DROP CONSTRAINT refunds_payment_id_key;
ALTER TABLE refunds ADD COLUMN idempotency_key TEXT UNIQUE;
CREATE INDEX refunds_by_payment ON refunds (payment_id);
