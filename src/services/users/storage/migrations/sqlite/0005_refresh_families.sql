-- One row per sign-in session. Rotation and revocation both update this row
-- first, which serialises them per family on every backend: a revocation can
-- no longer miss a successor token committed by a concurrent refresh.
CREATE TABLE refresh_families (
  family_id  TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);

INSERT INTO refresh_families (family_id, user_id, created_at, revoked_at)
SELECT family_id, MIN(user_id), MIN(created_at),
       CASE WHEN COUNT(*) = COUNT(revoked_at) THEN MAX(revoked_at) END
FROM refresh_tokens GROUP BY family_id;
