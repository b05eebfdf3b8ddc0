-- Goods a customer sent back (a refund's lines marked returned) go back on
-- hand once per key: a retried return (after a crash, by the sweeper) finds
-- its key and adds nothing.
CREATE TABLE stock_returns (
  key        TEXT NOT NULL,
  sku        TEXT NOT NULL,
  quantity   INTEGER NOT NULL CHECK (quantity > 0),
  created_at TEXT NOT NULL,
  PRIMARY KEY (key, sku)
);
