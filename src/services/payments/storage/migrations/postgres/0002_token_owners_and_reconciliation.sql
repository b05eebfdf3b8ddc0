-- A card token pays for one customer only. Tokenizing is public, so a token
-- says nothing about who made it: the first payer (customer, or guest cart)
-- that pays with it owns it, and anyone else who presents it is refused.
CREATE TABLE card_token_owners (
  token      TEXT PRIMARY KEY,
  payer      TEXT NOT NULL,
  created_at TEXT NOT NULL
);

-- Reconciliation pages through captured card payments by id.
CREATE INDEX payments_status_method ON payments (status, method, id);
