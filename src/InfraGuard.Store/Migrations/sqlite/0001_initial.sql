-- InfraGuard schema v1 (SQLite). Times are text 'yyyy-MM-ddTHH:mm:ss.fffZ' (sortable); hashes lower-case hex text.
CREATE TABLE change_request (
  id                  TEXT    PRIMARY KEY,
  stack               TEXT    NOT NULL,
  project             TEXT    NOT NULL,
  tier                TEXT    NOT NULL,
  requester_person    TEXT    NOT NULL,
  requester_identity  TEXT    NOT NULL,
  actor_kind          TEXT    NOT NULL,
  on_behalf_of        TEXT,
  commit_authors      TEXT    NOT NULL,
  ci_run_id           TEXT,
  ci_run_url          TEXT,
  plan_hash           TEXT    NOT NULL,
  state_fingerprint   TEXT    NOT NULL,
  policy_pack_hash    TEXT    NOT NULL,
  score               INTEGER NOT NULL,
  decision            TEXT    NOT NULL,
  approvals_count     INTEGER NOT NULL,
  approvals_from      TEXT    NOT NULL,
  approvals_expire_ms INTEGER NOT NULL,
  created_at          TEXT    NOT NULL,
  expires_at          TEXT    NOT NULL,
  state               TEXT    NOT NULL,
  state_changed_at    TEXT    NOT NULL,
  assessment          TEXT    NOT NULL,
  UNIQUE (stack, plan_hash, ci_run_id)
);
CREATE INDEX change_request_state ON change_request (state, created_at);

CREATE TABLE plan_artifact (
  request_id   TEXT    NOT NULL REFERENCES change_request (id),
  kind         TEXT    NOT NULL,
  sha256       TEXT    NOT NULL,
  size         INTEGER NOT NULL,
  content_gzip BLOB    NOT NULL,
  PRIMARY KEY (request_id, kind)
);

CREATE TABLE request_decision (
  request_id   TEXT    NOT NULL REFERENCES change_request (id),
  person_id    TEXT    NOT NULL,
  raw_identity TEXT    NOT NULL,
  channel      TEXT    NOT NULL,
  verdict      TEXT    NOT NULL,
  reason       TEXT    NOT NULL,
  decided_at   TEXT    NOT NULL,
  audit_seq    INTEGER NOT NULL,
  PRIMARY KEY (request_id, person_id)
);

CREATE TABLE apply_outcome (
  request_id  TEXT    PRIMARY KEY REFERENCES change_request (id),
  succeeded   INTEGER NOT NULL,
  exit_code   INTEGER NOT NULL,
  counts      TEXT    NOT NULL,
  diagnostics TEXT    NOT NULL,
  finished_at TEXT    NOT NULL
);

-- seq is assigned by the appender under the write lock (never AUTOINCREMENT: sequences gap on rollback).
-- payload holds the exact canonical JSON bytes that were hashed; recorded_at/kind/subject are unhashed query copies.
CREATE TABLE audit_entry (
  seq         INTEGER PRIMARY KEY,
  recorded_at TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  subject     TEXT,
  payload     BLOB    NOT NULL,
  prev_hash   TEXT    NOT NULL UNIQUE,
  entry_hash  TEXT    NOT NULL UNIQUE,
  key_id      TEXT    NOT NULL,
  signature   TEXT    NOT NULL
);
CREATE INDEX audit_entry_subject ON audit_entry (subject);

CREATE TABLE audit_checkpoint (
  number      INTEGER PRIMARY KEY,
  size        INTEGER NOT NULL,
  created_at  TEXT    NOT NULL,
  body        BLOB    NOT NULL,
  key_id      TEXT    NOT NULL,
  signature   TEXT    NOT NULL
);

CREATE TABLE audit_key (
  key_id     TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  added_at   TEXT NOT NULL
);

-- Guardrails, not evidence: anyone holding the file can drop these. The signed chain is the evidence.
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END;
CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END;
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint BEGIN SELECT RAISE(ABORT, 'audit_checkpoint is append-only'); END;
CREATE TRIGGER audit_key_no_update BEFORE UPDATE ON audit_key BEGIN SELECT RAISE(ABORT, 'audit_key is append-only'); END;
CREATE TRIGGER audit_key_no_delete BEFORE DELETE ON audit_key BEGIN SELECT RAISE(ABORT, 'audit_key is append-only'); END;
