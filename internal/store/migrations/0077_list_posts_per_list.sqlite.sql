-- plenary: foreign keys off
-- A message sent to several lists of the site is a posting of each: its
-- Message-ID is unique within a list, not across lists. SQLite cannot drop
-- the old constraint, so the table is built anew with the same rows, ids,
-- indexes and triggers (the migration runs with foreign keys off, so that
-- dropping the old table deletes nothing that points to it).
CREATE TABLE list_posts_new (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	list_id BIGINT NOT NULL REFERENCES lists (id),
	contributor_id BIGINT NOT NULL REFERENCES list_contributors (id),
	message_id TEXT NOT NULL,
	in_reply_to TEXT NOT NULL,
	thread_id BIGINT,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	status TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	published_at TIMESTAMP,
	refs TEXT NOT NULL DEFAULT '',
	base_subject TEXT NOT NULL DEFAULT '',
	imported_at TIMESTAMP,
	UNIQUE (list_id, message_id)
);
INSERT INTO list_posts_new (id, list_id, contributor_id, message_id, in_reply_to, thread_id, subject, body, status, created_at, published_at, refs, base_subject, imported_at)
	SELECT id, list_id, contributor_id, message_id, in_reply_to, thread_id, subject, body, status, created_at, published_at, refs, base_subject, imported_at FROM list_posts;
DROP TABLE list_posts;
ALTER TABLE list_posts_new RENAME TO list_posts;

CREATE INDEX list_posts_list ON list_posts (list_id, status, thread_id);
CREATE INDEX list_posts_base_subject ON list_posts (list_id, base_subject);
CREATE INDEX list_posts_thread ON list_posts (thread_id);
CREATE INDEX list_posts_by_author ON list_posts (contributor_id);
CREATE INDEX list_posts_by_date ON list_posts (list_id, published_at);
CREATE INDEX list_posts_search_keys ON list_posts (id, list_id);
CREATE INDEX list_posts_author_date ON list_posts (contributor_id, published_at, list_id, status, id);
CREATE INDEX list_posts_list_date ON list_posts (list_id, published_at, status, id);
CREATE INDEX list_posts_list_order ON list_posts (list_id, status, id, thread_id, published_at);
CREATE INDEX dsr_list_posts_contributor ON list_posts (contributor_id);

CREATE TRIGGER list_search_insert AFTER INSERT ON list_posts WHEN NEW.status = 'published'
BEGIN
	INSERT INTO list_search (rowid, subject, body) VALUES (NEW.id, NEW.subject, NEW.body);
END;
CREATE TRIGGER list_search_update AFTER UPDATE OF status, subject, body ON list_posts
BEGIN
	DELETE FROM list_search WHERE rowid = OLD.id;
	INSERT INTO list_search (rowid, subject, body) SELECT NEW.id, NEW.subject, NEW.body WHERE NEW.status = 'published';
END;
CREATE TRIGGER list_search_delete AFTER DELETE ON list_posts
BEGIN
	DELETE FROM list_search WHERE rowid = OLD.id;
END;
CREATE TRIGGER list_posts_version_insert AFTER INSERT ON list_posts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_posts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_posts_version_update AFTER UPDATE ON list_posts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_posts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_posts_version_delete AFTER DELETE ON list_posts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_posts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;

-- When a contributor who has not accepted the contribution terms was last
-- mailed the link to accept them for postings to a list: at most one such
-- mail a day per list and address, whatever the From of incoming mail
-- says and however many instances take it.
CREATE TABLE list_terms_notices (
	list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
	contributor_id BIGINT NOT NULL REFERENCES list_contributors (id) ON DELETE CASCADE,
	sent_at {{time}} NOT NULL,
	PRIMARY KEY (contributor_id, list_id)
);

-- When a subscriber was last mailed their unsubscribe link because a
-- message to NAME-unsubscribe@ named their address: at most one a day,
-- however many messages claim to come from them.
ALTER TABLE list_subscriptions ADD COLUMN unsubscribe_mailed_at {{time}};
