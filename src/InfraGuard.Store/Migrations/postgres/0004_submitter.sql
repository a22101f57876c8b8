-- InfraGuard schema v4 (PostgreSQL): who submitted each request (the authenticated credential) and whether the
-- requester was proven by a CI workload-identity token. Older rows were submitted before the server knew: '' and 0.
ALTER TABLE change_request ADD COLUMN submitted_by TEXT NOT NULL DEFAULT '';
ALTER TABLE change_request ADD COLUMN attested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE change_request ADD COLUMN commit_sha TEXT;
