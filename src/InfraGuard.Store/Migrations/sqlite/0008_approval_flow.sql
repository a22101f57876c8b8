-- InfraGuard schema v8 (SQLite): the approval flow over time (issue 18). Each table is keyed by request id or its own id; the
-- change_request row is untouched. Every insert here commits with its audit entry.
-- follow_up: reminders, escalations and overdue-review chases that happened, once per request, kind and level: the
-- unique key is what makes two replicas sweeping at the same moment post only once.
CREATE TABLE follow_up (
  request_id   TEXT NOT NULL REFERENCES change_request (id),
  kind         TEXT NOT NULL,
  level        INTEGER NOT NULL,
  due_at       TEXT NOT NULL,
  principals   TEXT NOT NULL DEFAULT '',
  recorded_at  TEXT NOT NULL,
  PRIMARY KEY (request_id, kind, level)
);
-- delegation: a person covering another's approvals for a window.
CREATE TABLE delegation (
  id                 TEXT PRIMARY KEY,
  delegator_person   TEXT NOT NULL,
  delegator_identity TEXT NOT NULL,
  delegate_person    TEXT NOT NULL,
  delegate_identity  TEXT NOT NULL,
  valid_from         TEXT NOT NULL,
  valid_until        TEXT NOT NULL,
  reason             TEXT,
  granted_person     TEXT NOT NULL,
  granted_identity   TEXT NOT NULL,
  granted_at         TEXT NOT NULL,
  revoked_at         TEXT,
  revoked_person     TEXT,
  revoked_identity   TEXT
);
CREATE INDEX delegation_delegate ON delegation (delegate_person);
CREATE INDEX delegation_delegator ON delegation (delegator_person);
-- break_glass: a request applied without waiting, and the retrospective review it opened.
CREATE TABLE break_glass (
  request_id       TEXT PRIMARY KEY REFERENCES change_request (id),
  actor_person     TEXT NOT NULL,
  actor_identity   TEXT NOT NULL,
  incident         TEXT NOT NULL,
  reason           TEXT NOT NULL,
  tier             TEXT NOT NULL,
  used_at          TEXT NOT NULL,
  review_due_at    TEXT NOT NULL,
  reviewers_needed INTEGER NOT NULL,
  audit_seq        INTEGER NOT NULL
);
CREATE TABLE break_glass_review (
  request_id   TEXT NOT NULL REFERENCES break_glass (request_id),
  person_id    TEXT NOT NULL,
  raw_identity TEXT NOT NULL,
  channel      TEXT NOT NULL,
  verdict      TEXT NOT NULL,
  reason       TEXT NOT NULL,
  reviewed_at  TEXT NOT NULL,
  audit_seq    INTEGER NOT NULL,
  PRIMARY KEY (request_id, person_id)
);
