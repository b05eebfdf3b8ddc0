-- Tokens expire: unused ones are purged by age, and a purge asks whether a
-- charge names the token.
CREATE INDEX sandbox_tokens_created ON sandbox_tokens (created_at);
CREATE INDEX sandbox_charges_token ON sandbox_charges (token);
