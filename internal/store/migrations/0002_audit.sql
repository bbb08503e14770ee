-- The audit log of access to restricted data (S3, C3). Rows form a chain:
-- each hash is an HMAC over the previous hash and the row's content, so a
-- changed, inserted or deleted row shows up in `plenary audit verify`.
CREATE TABLE audit_log (
	id {{id}},
	at {{time}} NOT NULL,
	actor_id BIGINT,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	subject TEXT NOT NULL,
	detail TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
