-- Facet counts read only these columns: a covering index allows index-only
-- scans instead of reading whole product rows (descriptions included).
CREATE INDEX products_facets ON products (category_id, brand, price, in_stock) WHERE NOT archived;
