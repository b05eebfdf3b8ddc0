-- Text that a naive embedding would mangle: quotes, a raw-string-like ")",
-- a placeholder-like $1, a backslash and non-ASCII.
INSERT INTO notes (id, body) VALUES (1, 'it''s ")" $1 \n ✓');
