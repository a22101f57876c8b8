-- InfraGuard schema v6: requests of any kind. 'infra.apply' is a guarded `up` (every older row); an action kind such
-- as 'data.export' is a privileged action, whose redacted command line or tool call is kept in 'action' (JSON) and
-- whose plan_hash is the SHA-256 of the exact action. Secrets never reach this table: only the redacted form.
ALTER TABLE change_request ADD COLUMN kind TEXT NOT NULL DEFAULT 'infra.apply';
ALTER TABLE change_request ADD COLUMN action TEXT;
