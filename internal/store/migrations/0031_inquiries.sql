-- Inquiries sent through the contact form (U5, R1), and the thread of
-- answers by mail that follows each one. Anyone may send one, without an
-- account, so an inquiry carries its sender's name and address itself.
-- reply_token is the random part of the address staff answer from,
-- inquiry+TOKEN@MAILDOMAIN, so that the sender's reply by mail finds its
-- inquiry. An inquiry and its thread are deleted a configurable time after
-- it is closed (retention key "inquiry").
CREATE TABLE inquiries (
	id {{id}},
	name TEXT NOT NULL,
	email TEXT NOT NULL,
	category TEXT NOT NULL,
	message TEXT NOT NULL,
	reply_token TEXT NOT NULL UNIQUE,
	closed_at {{time}},
	closed_by BIGINT,
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL
);
CREATE INDEX inquiries_closed ON inquiries (closed_at);

-- direction is 'staff' (an answer sent from plenary, staff_id says who) or
-- 'sender' (the sender's reply by mail).
CREATE TABLE inquiry_messages (
	id {{id}},
	inquiry_id BIGINT NOT NULL REFERENCES inquiries (id) ON DELETE CASCADE,
	direction TEXT NOT NULL,
	staff_id BIGINT,
	body TEXT NOT NULL,
	created_at {{time}} NOT NULL
);
CREATE INDEX inquiry_messages_inquiry ON inquiry_messages (inquiry_id, id);

-- A consent entry for an inquiry names the inquiry instead of an account
-- (person_id is 0): the sender has none. It keeps no contact detail, so it
-- outlives the inquiry without keeping anything about the sender.
ALTER TABLE consent_ledger ADD COLUMN inquiry_id BIGINT;
