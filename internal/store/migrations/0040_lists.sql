-- Discussion groups (G1, PUB1, D1). A list's address is NAME@ the mail
-- domain. posting is 'open', 'subscribers' or 'moderated'; archive is
-- 'public' or 'subscribers'.
CREATE TABLE lists (
	id {{id}},
	name TEXT NOT NULL UNIQUE,
	description TEXT NOT NULL,
	posting TEXT NOT NULL,
	archive TEXT NOT NULL,
	created_at {{time}} NOT NULL
);

-- A subscription is pending until the mailed link is confirmed
-- (confirmed_at NULL; retention key "list_pending"), and is deleted on
-- unsubscribe. token is the random part of the confirmation and
-- unsubscribe links. person_id is set when the address is a signed-in
-- person's own.
CREATE TABLE list_subscriptions (
	id {{id}},
	list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
	email TEXT NOT NULL,
	person_id BIGINT,
	token TEXT NOT NULL UNIQUE,
	confirmed_at {{time}},
	created_at {{time}} NOT NULL,
	UNIQUE (list_id, email)
);

-- Whoever posts: postings are public and attributed, so the name and
-- address of a contributor are public record once they accepted the
-- contribution terms (PUB1, accepted_at). token is the random part of the
-- link that accepts them for a first posting by mail.
CREATE TABLE list_contributors (
	id {{id}},
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	person_id BIGINT,
	token TEXT NOT NULL UNIQUE,
	accepted_at {{time}},
	created_at {{time}} NOT NULL
);

-- status is 'published', 'held-terms' (waits for its author to accept the
-- contribution terms) or 'held-moderation' (waits for staff). Held
-- postings expire (retention key "list_held"); published ones are public
-- record. thread_id is the id of the thread's first posting.
CREATE TABLE list_posts (
	id {{id}},
	list_id BIGINT NOT NULL REFERENCES lists (id),
	contributor_id BIGINT NOT NULL REFERENCES list_contributors (id),
	message_id TEXT NOT NULL UNIQUE,
	in_reply_to TEXT NOT NULL,
	thread_id BIGINT,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	status TEXT NOT NULL,
	created_at {{time}} NOT NULL,
	published_at {{time}}
);
CREATE INDEX list_posts_list ON list_posts (list_id, status, thread_id);

-- Which subscriber was sent which posting, so a distribution resumed after
-- a crash sends each one once.
CREATE TABLE list_deliveries (
	post_id BIGINT NOT NULL REFERENCES list_posts (id) ON DELETE CASCADE,
	subscription_id BIGINT NOT NULL REFERENCES list_subscriptions (id) ON DELETE CASCADE,
	sent_at {{time}} NOT NULL,
	PRIMARY KEY (post_id, subscription_id)
);

ALTER TABLE consent_ledger ADD COLUMN subscription_id BIGINT;
ALTER TABLE consent_ledger ADD COLUMN contributor_id BIGINT;
