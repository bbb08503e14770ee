-- A refund the processor did not make (issue: a failed refund vanished):
-- the processor's answer, when it came, how many times the refund was
-- asked for, and when the payments job asks again (NULL: it does not, the
-- processor having refused; finance decide). Finance's list of refund
-- requests shows them.
ALTER TABLE payments ADD COLUMN refund_error TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN refund_failed_at {{time}};
ALTER TABLE payments ADD COLUMN refund_retry_at {{time}};
ALTER TABLE payments ADD COLUMN refund_attempts INTEGER NOT NULL DEFAULT 0;
