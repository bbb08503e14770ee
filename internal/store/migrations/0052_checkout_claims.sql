-- A checkout is claimed in a short transaction of its own before the
-- processor is asked for its session, and the session recorded in
-- another, so no transaction waits on the processor (issue 10). A claim
-- is status 'starting', its checkout_id holding start_key until the
-- session's id replaces it; start_key is the idempotency key the
-- processor is asked with, so that asking again (a second click, the
-- reconcile job repairing a claim whose session was never recorded)
-- returns the same session. A claim counts as the registration's one live
-- checkout.
ALTER TABLE payments ADD COLUMN start_key TEXT NOT NULL DEFAULT '';
DROP INDEX payments_one_live;
CREATE UNIQUE INDEX payments_one_live ON payments (registration_id) WHERE status IN ('starting', 'open', 'declined');
