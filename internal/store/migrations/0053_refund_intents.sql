-- A refund is recorded as asked for before the processor is asked
-- (status 'refund_requested', refund_key the idempotency key it is asked
-- with), and as done afterwards (issue 10). If recording the result
-- fails, the next attempt asks again with the same key, which the
-- processor answers as the refund already made, instead of refusing a
-- second refund.
ALTER TABLE payments ADD COLUMN refund_key TEXT NOT NULL DEFAULT '';
