-- InfraGuard schema v2 (SQLite): API bearer tokens for the approval server. Only the SHA-256 of a token is stored;
-- the token itself is shown once when it is created. A token is revoked by setting revoked_at, never deleted.
CREATE TABLE api_token (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  identity     TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  token_sha256 TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  revoked_at   TEXT,
  revoked_by   TEXT
);
CREATE INDEX api_token_identity ON api_token (identity);
