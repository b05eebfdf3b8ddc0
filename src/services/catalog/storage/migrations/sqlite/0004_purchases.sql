-- Verified purchases: who bought which product, learned from order.confirmed
-- events by the catalog.purchases consumer (the catalog never reads the
-- orders database). A review says whether its author had bought the product.
CREATE TABLE purchases (
  user_id      TEXT NOT NULL,
  product_id   INTEGER NOT NULL,
  order_id     TEXT NOT NULL,  -- the first order that contained it
  purchased_at TEXT NOT NULL,
  PRIMARY KEY (user_id, product_id)
);
ALTER TABLE reviews ADD COLUMN verified_purchase INTEGER NOT NULL DEFAULT 0;
