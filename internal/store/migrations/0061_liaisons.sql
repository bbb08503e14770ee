-- Liaison statements (PUB1): from an outside organization to a group,
-- entered by the secretariat (state pending), then posted (public record,
-- kept forever) or marked dead. contact_name and contact_email are the person to write to
-- about it, as given by the sending organization; entered_by the staff
-- account that entered it. Attachments are kept in the database.
CREATE TABLE liaison_statements (
	id {{id}},
	from_org TEXT NOT NULL,
	to_group TEXT NOT NULL,
	title TEXT NOT NULL,
	purpose TEXT NOT NULL,
	deadline TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	contact_name TEXT NOT NULL DEFAULT '',
	contact_email TEXT NOT NULL DEFAULT '',
	entered_by BIGINT,
	state TEXT NOT NULL,
	created_at {{time}} NOT NULL,
	decided_at {{time}}
);
CREATE INDEX liaison_statements_state ON liaison_statements (state, created_at);

CREATE TABLE liaison_attachments (
	id {{id}},
	statement_id BIGINT NOT NULL REFERENCES liaison_statements (id),
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	data {{blob}} NOT NULL
);
CREATE INDEX liaison_attachments_statement ON liaison_attachments (statement_id);
