-- Removal requests (R4): a participant asks from /account, staff with the
-- admin or privacy role approve or decline with a reason. The row is the
-- record that the request was answered; after an approved removal it keeps
-- no note, and person_id names an account that no longer exists (ids are
-- never reused), so it leads to nobody.
CREATE TABLE removal_requests (
	id {{id}},
	person_id BIGINT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	requested_at {{time}} NOT NULL,
	decided_at {{time}},
	decided_by BIGINT,
	reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX removal_requests_status ON removal_requests (status, id);
CREATE INDEX removal_requests_person ON removal_requests (person_id);

-- Export and removal find a person's rows by each table's declared subject
-- link (internal/inventory/rights.go); these indexes make every link a
-- look-up rather than a scan of the whole table, the audit log included.
CREATE INDEX audit_log_subject ON audit_log (subject);
CREATE INDEX audit_log_actor ON audit_log (actor_id);
CREATE INDEX auth_tokens_person ON auth_tokens (person_id);
CREATE INDEX inquiries_email ON inquiries (LOWER(email));
CREATE INDEX consent_ledger_inquiry ON consent_ledger (inquiry_id);
