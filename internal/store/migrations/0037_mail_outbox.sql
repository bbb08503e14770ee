-- The outbox of account mail (internal/outbox): sign-up confirmations,
-- reset and sign-in links, subscription and registration confirmations.
-- A message is stored, sealed with the site's key, in the transaction of
-- the use case that sends it (or just after), with a job that delivers it;
-- the row is deleted once the mail server took the message, so a crash
-- after the commit loses no mail and no link lies in the database in clear.
CREATE TABLE mail_outbox (
	id {{id}},
	what TEXT NOT NULL,
	sealed {{blob}} NOT NULL,
	claimed_until {{time}},
	created_at {{time}} NOT NULL
);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);
