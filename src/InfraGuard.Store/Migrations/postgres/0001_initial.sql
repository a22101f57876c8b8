-- InfraGuard schema v1 (PostgreSQL). Times are text 'yyyy-MM-ddTHH:mm:ss.fffZ' (sortable); hashes lower-case hex text.
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
  score               bigint  NOT NULL,
  decision            TEXT    NOT NULL,
  approvals_count     bigint  NOT NULL,
  approvals_from      TEXT    NOT NULL,
  approvals_expire_ms bigint  NOT NULL,
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
  size         bigint  NOT NULL,
  content_gzip bytea    NOT NULL,
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
  audit_seq    bigint  NOT NULL,
  PRIMARY KEY (request_id, person_id)
);

CREATE TABLE apply_outcome (
  request_id  TEXT    PRIMARY KEY REFERENCES change_request (id),
  succeeded   bigint  NOT NULL,
  exit_code   bigint  NOT NULL,
  counts      TEXT    NOT NULL,
  diagnostics TEXT    NOT NULL,
  finished_at TEXT    NOT NULL
);

-- seq is assigned by the appender under the write lock (never AUTOINCREMENT: sequences gap on rollback).
-- payload holds the exact canonical JSON bytes that were hashed; recorded_at/kind/subject are unhashed query copies.
CREATE TABLE audit_entry (
  seq         bigint PRIMARY KEY,
  recorded_at TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  subject     TEXT,
  payload     bytea    NOT NULL,
  prev_hash   TEXT    NOT NULL UNIQUE,
  entry_hash  TEXT    NOT NULL UNIQUE,
  key_id      TEXT    NOT NULL,
  signature   TEXT    NOT NULL
);
CREATE INDEX audit_entry_subject ON audit_entry (subject);

CREATE TABLE audit_checkpoint (
  number      bigint PRIMARY KEY,
  size        bigint  NOT NULL,
  created_at  TEXT    NOT NULL,
  body        bytea    NOT NULL,
  key_id      TEXT    NOT NULL,
  signature   TEXT    NOT NULL
);

CREATE TABLE audit_key (
  key_id     TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  added_at   TEXT NOT NULL
);

-- Guardrails, not evidence: the table owner can disable triggers. The application role gets SELECT/INSERT only on
-- audit tables (granted by the store after migrating); the signed chain is the evidence.
CREATE FUNCTION infraguard_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry FOR EACH ROW EXECUTE FUNCTION infraguard_append_only();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry FOR EACH STATEMENT EXECUTE FUNCTION infraguard_append_only();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint FOR EACH ROW EXECUTE FUNCTION infraguard_append_only();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint FOR EACH STATEMENT EXECUTE FUNCTION infraguard_append_only();
CREATE TRIGGER audit_key_append_only BEFORE UPDATE OR DELETE ON audit_key FOR EACH ROW EXECUTE FUNCTION infraguard_append_only();
CREATE TRIGGER audit_key_no_truncate BEFORE TRUNCATE ON audit_key FOR EACH STATEMENT EXECUTE FUNCTION infraguard_append_only();
