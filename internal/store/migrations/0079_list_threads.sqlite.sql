-- One row per thread of a list (issue 9), so that the page of a list's
-- threads, newest activity first, reads 25 rows of an index instead of
-- grouping every published posting of the list. A thread is keyed by its
-- root posting's id, COALESCE(thread_id, id) of its postings; the row holds
-- its published postings only: how many, the latest published_at and the
-- newest id. A thread without a published posting has no row.
--
-- Triggers on list_posts keep it in step, whatever writes the postings (the
-- posting path, an import, moderation, removal, erasure, a bench's straight
-- INSERTs). SQLite runs a row trigger right after each row changes, so each
-- step starts from a table that is right:
--   - an insert adds one to its thread's row (an upsert of one row);
--   - a change of thread, list, status or publication date counts the thread
--     the posting was in again and, when it moved, adds one to the thread
--     it joined;
--   - a delete counts its thread again.
-- Counting a thread again reads its postings through list_posts_thread
-- (thread_id) and the primary key (a root whose thread_id is not yet set);
-- the unary + keeps SQLite, which has no statistics unless ANALYZE ran,
-- off the list's own indexes, which would read every posting of the list
-- for each thread counted. Derived data, like list_search: no personal data but ids
-- and times, rebuilt from list_posts.
CREATE TABLE list_threads (
	list_id BIGINT NOT NULL,
	thread_id BIGINT NOT NULL,
	posts BIGINT NOT NULL,
	last_at TIMESTAMP,
	last_id BIGINT NOT NULL,
	PRIMARY KEY (list_id, thread_id)
) WITHOUT ROWID;
CREATE INDEX list_threads_recent ON list_threads (list_id, last_at DESC, last_id DESC);

INSERT INTO list_threads (list_id, thread_id, posts, last_at, last_id)
	SELECT list_id, COALESCE(thread_id, id), COUNT(*), MAX(published_at), MAX(id) FROM list_posts
	WHERE status = 'published' GROUP BY list_id, COALESCE(thread_id, id);

CREATE TRIGGER list_threads_insert AFTER INSERT ON list_posts WHEN NEW.status = 'published'
BEGIN
	INSERT INTO list_threads (list_id, thread_id, posts, last_at, last_id)
		VALUES (NEW.list_id, COALESCE(NEW.thread_id, NEW.id), 1, NEW.published_at, NEW.id)
		ON CONFLICT (list_id, thread_id) DO UPDATE SET posts = posts + 1,
			last_at = CASE WHEN last_at IS NULL OR excluded.last_at > last_at THEN excluded.last_at ELSE last_at END,
			last_id = MAX(last_id, excluded.last_id);
END;

-- The root's own "thread_id = id" after its insert changes nothing that
-- counts, so the WHEN leaves it (and every other such update) alone.
CREATE TRIGGER list_threads_update AFTER UPDATE OF list_id, thread_id, status, published_at ON list_posts
	WHEN (OLD.status = 'published' OR NEW.status = 'published')
		AND (OLD.list_id <> NEW.list_id OR COALESCE(OLD.thread_id, OLD.id) <> COALESCE(NEW.thread_id, NEW.id)
			OR OLD.status <> NEW.status OR OLD.published_at IS NOT NEW.published_at)
BEGIN
	DELETE FROM list_threads WHERE list_id = OLD.list_id AND thread_id = COALESCE(OLD.thread_id, OLD.id);
	INSERT INTO list_threads (list_id, thread_id, posts, last_at, last_id)
		SELECT OLD.list_id, COALESCE(OLD.thread_id, OLD.id), COUNT(*), MAX(published_at), MAX(id) FROM list_posts
		WHERE +list_id = OLD.list_id AND +status = 'published'
			AND (thread_id = COALESCE(OLD.thread_id, OLD.id) OR (thread_id IS NULL AND id = COALESCE(OLD.thread_id, OLD.id)))
		HAVING COUNT(*) > 0;
	INSERT INTO list_threads (list_id, thread_id, posts, last_at, last_id)
		SELECT NEW.list_id, COALESCE(NEW.thread_id, NEW.id), 1, NEW.published_at, NEW.id
		WHERE NEW.status = 'published'
			AND (OLD.list_id <> NEW.list_id OR COALESCE(OLD.thread_id, OLD.id) <> COALESCE(NEW.thread_id, NEW.id))
		ON CONFLICT (list_id, thread_id) DO UPDATE SET posts = posts + 1,
			last_at = CASE WHEN last_at IS NULL OR excluded.last_at > last_at THEN excluded.last_at ELSE last_at END,
			last_id = MAX(last_id, excluded.last_id);
END;

CREATE TRIGGER list_threads_delete AFTER DELETE ON list_posts WHEN OLD.status = 'published'
BEGIN
	DELETE FROM list_threads WHERE list_id = OLD.list_id AND thread_id = COALESCE(OLD.thread_id, OLD.id);
	INSERT INTO list_threads (list_id, thread_id, posts, last_at, last_id)
		SELECT OLD.list_id, COALESCE(OLD.thread_id, OLD.id), COUNT(*), MAX(published_at), MAX(id) FROM list_posts
		WHERE +list_id = OLD.list_id AND +status = 'published'
			AND (thread_id = COALESCE(OLD.thread_id, OLD.id) OR (thread_id IS NULL AND id = COALESCE(OLD.thread_id, OLD.id)))
		HAVING COUNT(*) > 0;
END;
