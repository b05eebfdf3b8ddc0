-- A refused checkout is kept as an order with the internal status 'failed'
-- (no schema change: status is free text). What a confirmed checkout still
-- owes the cart ('empty': take the ordered lines out of it) is an effect like
-- stock_effect, so a crash right after the confirmation leaves it owed and
-- the sweeper finishes it.
ALTER TABLE orders ADD COLUMN cart_effect TEXT NOT NULL DEFAULT '';
DROP INDEX orders_owing;
CREATE INDEX orders_owing ON orders (updated_at)
  WHERE stock_effect <> '' OR payment_effect <> '' OR cart_effect <> '';
-- Claims whose checkout never created an order (a crash in between) are found
-- by the sweeper through this index and released.
CREATE INDEX idempotency_keys_unlinked ON idempotency_keys (created_at)
  WHERE order_id IS NULL AND response_status IS NULL;
