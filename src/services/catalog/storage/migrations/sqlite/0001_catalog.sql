-- The catalog: a category tree, products with variants, reviews and a full-text
-- index. Product ids are integers handed out in insertion order, so "newest"
-- is id order and keyset cursors are cheap. Timestamps are RFC 3339 UTC text.
CREATE TABLE categories (
  id         INTEGER PRIMARY KEY,
  slug       TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  parent_id  INTEGER REFERENCES categories (id),
  -- Ids from the root down to this node, '/1/7/42/': a category's
  -- descendants are the rows whose path starts with its path.
  path       TEXT NOT NULL UNIQUE,
  position   INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

CREATE TABLE products (
  id           INTEGER PRIMARY KEY,
  slug         TEXT NOT NULL UNIQUE,
  title        TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  brand        TEXT NOT NULL,
  category_id  INTEGER NOT NULL REFERENCES categories (id),
  -- The lowest variant price, minor units: what listings show and sort by.
  price        INTEGER NOT NULL CHECK (price >= 0),
  currency     TEXT NOT NULL DEFAULT 'USD',
  attributes   TEXT NOT NULL DEFAULT '{}',  -- JSON object
  images       TEXT NOT NULL DEFAULT '[]',  -- JSON array of URLs
  rating       REAL NOT NULL DEFAULT 0,     -- mean of reviews, 2 decimals; 0 without any
  review_count INTEGER NOT NULL DEFAULT 0,
  in_stock     INTEGER NOT NULL DEFAULT 0,  -- some variant has stock
  archived     INTEGER NOT NULL DEFAULT 0,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
-- One index per sort order, each ending in id so keyset ties are resolved.
CREATE INDEX products_by_price ON products (price, id) WHERE archived = 0;
CREATE INDEX products_by_rating ON products (rating, id) WHERE archived = 0;
CREATE INDEX products_by_category ON products (category_id, id) WHERE archived = 0;
CREATE INDEX products_by_brand ON products (brand, id) WHERE archived = 0;

CREATE TABLE variants (
  sku        TEXT PRIMARY KEY,
  product_id INTEGER NOT NULL REFERENCES products (id),
  attributes TEXT NOT NULL DEFAULT '{}',  -- JSON object: size, colour, ...
  price      INTEGER NOT NULL CHECK (price >= 0),
  stock      INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
  position   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX variants_by_product ON variants (product_id, position);

CREATE TABLE reviews (
  id         INTEGER PRIMARY KEY,
  product_id INTEGER NOT NULL REFERENCES products (id),
  user_id    TEXT NOT NULL,
  user_name  TEXT NOT NULL,
  rating     INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
  title      TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (product_id, user_id)
);
CREATE INDEX reviews_by_product ON reviews (product_id, id);

-- Full-text search over title (weighted most), brand and description, kept in
-- step with products by the triggers below. bm25() ranks.
CREATE VIRTUAL TABLE products_fts USING fts5 (
  title, brand, description,
  content = 'products', content_rowid = 'id',
  tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
  INSERT INTO products_fts (rowid, title, brand, description)
  VALUES (new.id, new.title, new.brand, new.description);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
  INSERT INTO products_fts (products_fts, rowid, title, brand, description)
  VALUES ('delete', old.id, old.title, old.brand, old.description);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF title, brand, description ON products BEGIN
  INSERT INTO products_fts (products_fts, rowid, title, brand, description)
  VALUES ('delete', old.id, old.title, old.brand, old.description);
  INSERT INTO products_fts (rowid, title, brand, description)
  VALUES (new.id, new.title, new.brand, new.description);
END;
-- The indexed vocabulary, for typo-tolerant fallback searches.
CREATE VIRTUAL TABLE products_fts_terms USING fts5vocab (products_fts, row);
