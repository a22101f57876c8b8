-- InfraGuard schema v9: a request is found again by stack + plan hash (a re-run, a repeated allowed call) without
-- reading every request: CreateAsync's idempotency lookup and the open-request check use this index.
CREATE INDEX change_request_stack_plan ON change_request (stack, plan_hash);
