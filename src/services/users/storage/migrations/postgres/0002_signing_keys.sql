-- Ed25519 keys that sign access tokens. Keys are base64 (libsodium's secret
-- key is seed || public key). A key with retired_at no longer signs, but still
-- verifies the tokens it signed until they have expired; then it is deleted.
-- Timestamps are fixed-width RFC 3339 UTC text, like users.created_at.
CREATE TABLE signing_keys (
  kid        TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  secret_key TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retired_at TEXT
);
