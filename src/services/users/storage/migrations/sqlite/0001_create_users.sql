-- Accounts. Timestamps are fixed-width RFC 3339 UTC text on both backends so
-- that the same code reads them and they sort correctly.
CREATE TABLE users (
  id               TEXT PRIMARY KEY,
  email            TEXT NOT NULL,
  email_normalized TEXT NOT NULL UNIQUE,
  name             TEXT NOT NULL,
  password_hash    TEXT NOT NULL,
  role             TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
