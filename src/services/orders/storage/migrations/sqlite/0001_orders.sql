-- Orders, their lines and status timeline, and the per-user idempotency keys
-- of POST /orders. Amounts are integer minor units.
CREATE TABLE orders (
  id               TEXT PRIMARY KEY,          -- ord_<ULID>: sorts by creation time
  number           TEXT NOT NULL UNIQUE,      -- EM-261126-7KQ4X9, shown to buyers
  user_id          TEXT NOT NULL,
  status           TEXT NOT NULL,
  currency         TEXT NOT NULL,
  subtotal         INTEGER NOT NULL CHECK (subtotal >= 0),
  shipping         INTEGER NOT NULL CHECK (shipping >= 0),
  tax              INTEGER NOT NULL CHECK (tax >= 0),
  total            INTEGER NOT NULL CHECK (total >= 0),
  payment_method   TEXT NOT NULL,
  payment_status   TEXT NOT NULL,
  payment_id       TEXT NOT NULL DEFAULT '',  -- the payments service's id, once charged
  cart_id          TEXT NOT NULL,
  shipping_address TEXT NOT NULL,             -- JSON object
  carrier          TEXT,
  tracking_number  TEXT,
  -- What a status change still owes inventory / payments ('' when nothing):
  -- set with the change, cleared once done; the sweeper finishes leftovers.
  stock_effect     TEXT NOT NULL DEFAULT '',
  payment_effect   TEXT NOT NULL DEFAULT '',
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX orders_by_user ON orders (user_id, id);
CREATE INDEX orders_by_status ON orders (status, id);
CREATE INDEX orders_owing ON orders (updated_at) WHERE stock_effect <> '' OR payment_effect <> '';

CREATE TABLE order_lines (
  order_id   TEXT NOT NULL REFERENCES orders (id),
  position   INTEGER NOT NULL,
  sku        TEXT NOT NULL,
  product_id INTEGER NOT NULL,
  title      TEXT NOT NULL,
  quantity   INTEGER NOT NULL CHECK (quantity > 0),
  unit_price INTEGER NOT NULL CHECK (unit_price >= 0),
  line_total INTEGER NOT NULL CHECK (line_total >= 0),
  PRIMARY KEY (order_id, position)
);

CREATE TABLE order_timeline (
  order_id TEXT NOT NULL REFERENCES orders (id),
  seq      INTEGER NOT NULL,
  status   TEXT NOT NULL,
  note     TEXT NOT NULL DEFAULT '',
  at       TEXT NOT NULL,
  PRIMARY KEY (order_id, seq)
);

-- One row per (user, Idempotency-Key): the hash of the request it was first
-- used with, and once finished the response every replay gets.
CREATE TABLE idempotency_keys (
  user_id         TEXT NOT NULL,
  key             TEXT NOT NULL,
  request_hash    TEXT NOT NULL,
  order_id        TEXT,
  response_status INTEGER,
  response_body   TEXT,
  created_at      TEXT NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_by_order ON idempotency_keys (order_id);
