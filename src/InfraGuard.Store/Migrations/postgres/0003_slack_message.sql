-- InfraGuard schema v3 (PostgreSQL): where each change request was posted in Slack, so a restarted server
-- can still update the parent message and reply in its thread. Delivery metadata only: no audit entry, no secrets.
CREATE TABLE slack_message (
  request_id     TEXT PRIMARY KEY REFERENCES change_request (id),
  channel        TEXT NOT NULL,
  ts             TEXT NOT NULL,
  posted_state   TEXT NOT NULL,
  outcome_posted INTEGER NOT NULL DEFAULT 0,
  updated_at     TEXT NOT NULL
);
