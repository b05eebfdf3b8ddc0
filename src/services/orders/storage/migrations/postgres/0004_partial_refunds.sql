-- Partial refunds: each refund an admin (or the card provider) makes is a row
-- with who, when, why and which lines; the order keeps the running total and
-- each line the quantity refunded, so the bookkeeping of one refund is one
-- conditional UPDATE per row (never above what was captured or bought).
ALTER TABLE orders ADD COLUMN refunded_total BIGINT NOT NULL DEFAULT 0;
-- Orders refunded before partial refunds existed were refunded in full.
UPDATE orders SET refunded_total = total WHERE status = 'refunded';
-- 'settle': a refund row still owes its payment (and stock) effects.
ALTER TABLE orders ADD COLUMN refund_effect TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN refunded_quantity BIGINT NOT NULL DEFAULT 0;
DROP INDEX orders_owing;
CREATE INDEX orders_owing ON orders (updated_at)
  WHERE stock_effect <> '' OR payment_effect <> '' OR cart_effect <> '' OR refund_effect <> '';

-- lines: JSON [{sku, quantity, returned}]; settled: 1 once the money went
-- back and returned lines are in stock again (both idempotent per refund id).
CREATE TABLE order_refunds (
  id          TEXT PRIMARY KEY,
  order_id    TEXT NOT NULL REFERENCES orders (id),
  amount      BIGINT NOT NULL CHECK (amount > 0),
  lines       TEXT NOT NULL,
  reason      TEXT NOT NULL,
  refunded_by TEXT NOT NULL,
  at          TEXT NOT NULL,
  settled     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX order_refunds_by_order ON order_refunds (order_id, at);
