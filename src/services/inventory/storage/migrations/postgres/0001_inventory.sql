-- Inventory: stock per SKU and the reservations orders hold against it.
-- available = on_hand - reserved; the CHECK makes overselling impossible even
-- for a buggy statement. Timestamps are RFC 3339 UTC text of fixed width, so
-- they compare correctly as text (the expiry sweep relies on it).
CREATE TABLE stock (
  sku        TEXT PRIMARY KEY,
  on_hand    BIGINT NOT NULL,
  reserved   BIGINT NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  CHECK (on_hand >= 0 AND reserved >= 0 AND reserved <= on_hand)
);

-- One row per order and SKU. held -> confirmed -> fulfilled, or -> released.
-- expires_at is set while held and NULL once confirmed.
CREATE TABLE reservations (
  order_id   TEXT NOT NULL,
  sku        TEXT NOT NULL,
  quantity   BIGINT NOT NULL CHECK (quantity > 0),
  state      TEXT NOT NULL CHECK (state IN ('held', 'confirmed', 'fulfilled', 'released')),
  expires_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (order_id, sku)
);
-- The expiry sweep: held rows by expiry.
CREATE INDEX reservations_by_expiry ON reservations (state, expires_at);
