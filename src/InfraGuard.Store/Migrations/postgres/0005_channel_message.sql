-- InfraGuard schema v5 (PostgreSQL): one table for every chat channel's messages (Slack, Teams, …), replacing slack_message.
-- What each channel's message of a request shows; the difference with the request is what a channel must catch up on.
-- Delivery metadata only: no audit entry, no secrets.
CREATE TABLE channel_message (
  channel         TEXT NOT NULL,
  request_id      TEXT NOT NULL REFERENCES change_request (id),
  conversation    TEXT NOT NULL,
  message_id      TEXT NOT NULL,
  service_url     TEXT,
  shown_state     TEXT NOT NULL,
  shown_decisions INTEGER NOT NULL DEFAULT 0,
  outcome_posted  INTEGER NOT NULL DEFAULT 0,
  updated_at      TEXT NOT NULL,
  PRIMARY KEY (channel, request_id)
);
INSERT INTO channel_message (channel, request_id, conversation, message_id, service_url, shown_state, shown_decisions, outcome_posted, updated_at)
SELECT 'Slack', m.request_id, m.channel, m.ts, NULL, m.posted_state,
       (SELECT COUNT(*) FROM request_decision d WHERE d.request_id = m.request_id), m.outcome_posted, m.updated_at
FROM slack_message m;
DROP TABLE slack_message;
