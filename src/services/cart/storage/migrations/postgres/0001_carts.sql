-- Carts: a guest cart (user_id NULL) is addressed by its unguessable id; a
-- signed-in user has exactly one (UNIQUE user_id; NULLs do not collide).
-- Timestamps are RFC 3339 UTC text of fixed width, comparable as text.
CREATE TABLE carts (
  id         TEXT PRIMARY KEY,
  user_id    TEXT UNIQUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- The stale guest cart purge.
CREATE INDEX carts_guest_by_age ON carts (updated_at) WHERE user_id IS NULL;

CREATE TABLE cart_items (
  cart_id  TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
  sku      TEXT NOT NULL,
  quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
  added_at TEXT NOT NULL,
  PRIMARY KEY (cart_id, sku)
);
