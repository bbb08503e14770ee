-- Sequence numbers for the audit chain, and the actor's staff roles as they
-- stood when the entry was written (issue 8). The sequence number is part
-- of each new entry's hash, so the chain can be compared with the signed
-- checkpoints of its head kept outside the database: an entry cut from the
-- end leaves the log short of a checkpoint, and numbers must follow one
-- another without a gap. Entries written before this migration are
-- numbered in id order; their hashes do not cover the number.
ALTER TABLE audit_log ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_log ADD COLUMN actor_role TEXT NOT NULL DEFAULT '';
UPDATE audit_log SET seq = (SELECT COUNT(*) FROM audit_log a WHERE a.id <= audit_log.id);
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
