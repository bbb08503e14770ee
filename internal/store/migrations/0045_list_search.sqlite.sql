-- The search index of discussion-group postings (G1) on SQLite: an FTS5
-- table holding only the index (content=''), so the words are stored once,
-- in list_posts. Triggers on list_posts keep it in step, whatever writes
-- the postings (the web, the mail listener, an import): a posting is in the
-- index exactly while it is published. post_id mirrors the PostgreSQL
-- table's key column; the index's rowid is the posting's id.
CREATE VIRTUAL TABLE list_search USING fts5(
	post_id UNINDEXED, subject, body,
	content = '', contentless_delete = 1,
	tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO list_search (rowid, subject, body) SELECT id, subject, body FROM list_posts WHERE status = 'published';
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
