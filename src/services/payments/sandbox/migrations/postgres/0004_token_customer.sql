-- A token made through a shop's customer-bound tokenize URL belongs to that
-- customer ("user:..." or "cart:..."): charges for anyone else are refused.
-- NULL: tokenized without a binding, usable by whoever the shop lets pay.
ALTER TABLE sandbox_tokens ADD COLUMN customer TEXT;
