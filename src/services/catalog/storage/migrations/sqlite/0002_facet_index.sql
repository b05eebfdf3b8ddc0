-- Facet counts read only these columns: a covering index lets them scan a
-- narrow index instead of whole product rows (descriptions included).
CREATE INDEX products_facets ON products (category_id, brand, price, in_stock) WHERE archived = 0;
