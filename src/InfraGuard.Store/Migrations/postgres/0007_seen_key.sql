-- InfraGuard schema v7 (PostgreSQL): keys a server has seen (an accepted Slack request signature, an Events API
-- event id), shared by every server on this database so a request or retry delivered to two replicas is handled once.
-- A key is forgotten once expires_at (Unix seconds) has passed. Delivery metadata only: no audit entry, no secrets.
CREATE TABLE seen_key (
  key        TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX seen_key_expires ON seen_key (expires_at);
