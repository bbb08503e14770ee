-- Meetings and their registrations (issue 10). A meeting's dates are
-- calendar days in the meeting's own time zone; its registration window
-- is two instants. Capacity counts every registration not cancelled, and
-- is enforced inside the registration's transaction.
CREATE TABLE meetings (
	id {{id}},
	name TEXT NOT NULL,
	starts_on TEXT NOT NULL,
	ends_on TEXT NOT NULL,
	place TEXT NOT NULL DEFAULT '',
	online BOOLEAN NOT NULL DEFAULT FALSE,
	time_zone TEXT NOT NULL,
	registration_opens {{time}} NOT NULL,
	registration_closes {{time}} NOT NULL,
	capacity INTEGER NOT NULL,
	publish_attendees BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{time}} NOT NULL
);

-- fee is in the currency's minor unit (cents).
CREATE TABLE meeting_tickets (
	id {{id}},
	meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	fee BIGINT NOT NULL,
	currency TEXT NOT NULL
);

-- A registration carries its registrant's details itself: it works
-- without an account (person_id is then NULL). token is the random part of
-- the registrant's own page. After the meeting ends and its retention
-- runs out, the non-public details are shredded (shredded_at says when).
CREATE TABLE registrations (
	id {{id}},
	meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	ticket_id BIGINT NOT NULL REFERENCES meeting_tickets (id) ON DELETE CASCADE,
	person_id BIGINT,
	name TEXT NOT NULL,
	email TEXT NOT NULL,
	postal_address TEXT NOT NULL DEFAULT '',
	affiliation TEXT NOT NULL DEFAULT '',
	list_me BOOLEAN NOT NULL DEFAULT FALSE,
	status TEXT NOT NULL,
	token TEXT NOT NULL UNIQUE,
	shredded_at {{time}},
	created_at {{time}} NOT NULL
);
CREATE INDEX registrations_meeting ON registrations (meeting_id, status);
CREATE INDEX registrations_person ON registrations (person_id);

-- A payment keeps only what bookkeeping needs (P2): amount, currency,
-- status, the processor's transaction id, and, sealed with the site's key,
-- the authorization code and the card's last four digits. Never more.
CREATE TABLE payments (
	id {{id}},
	registration_id BIGINT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
	processor TEXT NOT NULL,
	checkout_id TEXT NOT NULL UNIQUE,
	checkout_url TEXT NOT NULL,
	amount BIGINT NOT NULL,
	currency TEXT NOT NULL,
	status TEXT NOT NULL,
	transaction_id TEXT NOT NULL DEFAULT '',
	auth_code {{blob}},
	last4 {{blob}},
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL
);
CREATE INDEX payments_registration ON payments (registration_id);

-- Webhook events already applied, by the processor's event id: a
-- replayed delivery finds its row and changes nothing.
CREATE TABLE payment_events (
	processor TEXT NOT NULL,
	event_id TEXT NOT NULL,
	received_at {{time}} NOT NULL,
	PRIMARY KEY (processor, event_id)
);

-- A consent entry for a registration made without an account names the
-- registration (person_id is 0).
ALTER TABLE consent_ledger ADD COLUMN registration_id BIGINT;
