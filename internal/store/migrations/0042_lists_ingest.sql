-- Discussion groups, the ingest side: MIME attachments, threading that
-- heals when a parent arrives after its replies, imported archives, and
-- bounces of list mail (VERP, NAME-bounces+TOKEN@).

-- refs is the References header (message ids, oldest first), for the
-- mbox export; base_subject is the subject without "Re:" and list tags,
-- for threading replies that name no parent; imported_at is set on a
-- posting that came from an imported mbox archive (a historical record,
-- not sent to subscribers).
ALTER TABLE list_posts ADD COLUMN refs TEXT NOT NULL DEFAULT '';
ALTER TABLE list_posts ADD COLUMN base_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE list_posts ADD COLUMN imported_at {{time}};
CREATE INDEX list_posts_base_subject ON list_posts (list_id, base_subject);
CREATE INDEX list_posts_thread ON list_posts (thread_id);

-- Every message id a posting names as an ancestor (In-Reply-To and
-- References), so the replies that arrived before a message are found
-- when it arrives.
CREATE TABLE list_post_refs (
	post_id BIGINT NOT NULL REFERENCES list_posts (id) ON DELETE CASCADE,
	ref TEXT NOT NULL,
	PRIMARY KEY (post_id, ref)
);
CREATE INDEX list_post_refs_ref ON list_post_refs (ref);

-- The parts of a posting that are not its text. n numbers them 1, 2, …
-- in the message's order; size is -1 when the part was larger than the
-- archive keeps and data is empty.
CREATE TABLE list_attachments (
	id {{id}},
	post_id BIGINT NOT NULL REFERENCES list_posts (id) ON DELETE CASCADE,
	n INTEGER NOT NULL,
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	data {{blob}} NOT NULL,
	UNIQUE (post_id, n)
);

-- A subscription whose mail bounced too often is disabled (no more
-- deliveries) until its subscriber subscribes again.
ALTER TABLE list_subscriptions ADD COLUMN disabled_at {{time}};

-- One bounce of list mail to a subscription (retention key
-- "list_bounce"); status is the delivery status code the bounce gives
-- (such as 5.1.1), or "unknown".
CREATE TABLE list_bounces (
	id {{id}},
	subscription_id BIGINT NOT NULL REFERENCES list_subscriptions (id) ON DELETE CASCADE,
	received_at {{time}} NOT NULL,
	status TEXT NOT NULL
);
CREATE INDEX list_bounces_subscription ON list_bounces (subscription_id, received_at);
