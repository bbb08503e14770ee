-- One row per thread of a list (issue 9), so that the page of a list's
-- threads, newest activity first, reads 25 rows of an index instead of
-- grouping every published posting of the list. A thread is keyed by its
-- root posting's id, COALESCE(thread_id, id) of its postings; the row holds
-- its published postings only: how many, the latest published_at and the
-- newest id. A thread without a published posting has no row. Derived
-- data, like list_search: no personal data but ids and times, rebuilt from
-- list_posts; store.Dump leaves it out and the restore's triggers refill it.
--
-- Statement triggers on list_posts keep it in step, whatever writes the
-- postings (the posting path, an import, moderation, removal, erasure, a
-- bench's straight INSERTs), each once per statement over the rows it
-- changed (its transition tables):
--   - inserted postings add to their threads' rows (one upsert per thread
--     of the statement, however many rows it inserts);
--   - an update that moves postings between threads or lists, or changes
--     their status or publication date, counts every thread they left or
--     joined again, once;
--   - a delete counts the threads of the deleted postings again.
-- The counts of one statement are one statement too (list_threads_recount),
-- each thread's postings read through the index of thread_id and the
-- primary key (for a root whose thread_id is not yet set); the list and
-- the status are written as expressions no index serves, so that a
-- planner without statistics (a table just filled, not yet analysed) does
-- not read the list's own (list_id, status, …) indexes, every posting of
-- the list for each thread. Row triggers would not do: PostgreSQL runs
-- them after the whole statement, so each would see the statement's end
-- state, and adding and subtracting row by row goes wrong when one
-- statement moves postings both ways between two threads.
--
-- Under READ COMMITTED a count could miss a posting another transaction
-- is adding to the same thread and then overwrite that transaction's +1.
-- So every writer of a list's thread rows first takes a transaction
-- advisory lock on the list (the two-key form, class 0x6c697374 "list",
-- apart from the one-key locks of store.Lock), in order of list id when it
-- takes several; the count, a statement of its own after the lock, then
-- sees every committed posting of the list. One lock per list, not per
-- thread: a bulk insert or an erasure touches thousands of threads, and
-- PostgreSQL's lock table holds a few thousand locks in all. Writers of
-- one list's postings thus take turns, each for one short transaction.
CREATE TABLE list_threads (
	list_id BIGINT NOT NULL,
	thread_id BIGINT NOT NULL,
	posts BIGINT NOT NULL,
	last_at TIMESTAMPTZ,
	last_id BIGINT NOT NULL,
	PRIMARY KEY (list_id, thread_id)
);
CREATE INDEX list_threads_recent ON list_threads (list_id, last_at DESC, last_id DESC) INCLUDE (thread_id);

INSERT INTO list_threads (list_id, thread_id, posts, last_at, last_id)
	SELECT list_id, COALESCE(thread_id, id), COUNT(*), MAX(published_at), MAX(id) FROM list_posts
	WHERE status = 'published' GROUP BY list_id, COALESCE(thread_id, id);

CREATE FUNCTION list_threads_lock(l BIGINT) RETURNS void
LANGUAGE sql AS $$
	SELECT pg_advisory_xact_lock(1818850164, (l % 2147483648)::int);
$$;

-- list_threads_recount sets the rows of threads ts (of lists ls, pairwise)
-- from their postings, in one statement however many threads a statement
-- on list_posts touched (an erasure may touch thousands), after taking the
-- lists' locks in order.
CREATE FUNCTION list_threads_recount(ls BIGINT[], ts BIGINT[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM list_threads_lock(l) FROM (SELECT DISTINCT l FROM unnest(ls) AS u(l)) k ORDER BY l % 2147483648, l;
	WITH k AS (SELECT DISTINCT l, t FROM unnest(ls, ts) AS u(l, t)),
	counted AS (
		SELECT k.l, k.t, c.n, c.at, c.newest FROM k CROSS JOIN LATERAL (
			SELECT COUNT(*) AS n, MAX(p.published_at) AS at, MAX(p.id) AS newest FROM list_posts p
			WHERE p.list_id + 0 = k.l AND p.status || '' = 'published' AND (p.thread_id = k.t OR (p.thread_id IS NULL AND p.id = k.t))) c),
	emptied AS (
		DELETE FROM list_threads r USING counted
		WHERE r.list_id = counted.l AND r.thread_id = counted.t AND counted.n = 0)
	INSERT INTO list_threads (list_id, thread_id, posts, last_at, last_id)
		SELECT l, t, n, at, newest FROM counted WHERE n > 0
		ON CONFLICT (list_id, thread_id) DO UPDATE SET posts = excluded.posts, last_at = excluded.last_at, last_id = excluded.last_id;
END;
$$;

CREATE FUNCTION list_threads_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM list_threads_lock(l) FROM (SELECT DISTINCT list_id AS l FROM added WHERE status = 'published') k
		ORDER BY l % 2147483648, l;
	INSERT INTO list_threads (list_id, thread_id, posts, last_at, last_id)
		SELECT list_id, COALESCE(thread_id, id), COUNT(*), MAX(published_at), MAX(id) FROM added
		WHERE status = 'published' GROUP BY list_id, COALESCE(thread_id, id)
		ON CONFLICT (list_id, thread_id) DO UPDATE SET posts = list_threads.posts + excluded.posts,
			last_at = GREATEST(list_threads.last_at, excluded.last_at),
			last_id = GREATEST(list_threads.last_id, excluded.last_id);
	RETURN NULL;
END;
$$;
CREATE TRIGGER list_threads_added AFTER INSERT ON list_posts
	REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION list_threads_added();

-- Only updates that change what counts: the root's own "thread_id = id"
-- after its insert, say, changes nothing and counts nothing.
CREATE FUNCTION list_threads_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	ls BIGINT[];
	ts BIGINT[];
BEGIN
	WITH moved AS (
		SELECT o.list_id AS ol, COALESCE(o.thread_id, o.id) AS ot, n.list_id AS nl, COALESCE(n.thread_id, n.id) AS nt
		FROM was o JOIN became n ON n.id = o.id
		WHERE (o.status = 'published' OR n.status = 'published')
			AND (o.list_id <> n.list_id OR COALESCE(o.thread_id, o.id) <> COALESCE(n.thread_id, n.id)
				OR o.status <> n.status OR o.published_at IS DISTINCT FROM n.published_at))
	SELECT array_agg(l), array_agg(t) INTO ls, ts FROM (SELECT ol AS l, ot AS t FROM moved UNION SELECT nl, nt FROM moved) c;
	IF ts IS NOT NULL THEN
		PERFORM list_threads_recount(ls, ts);
	END IF;
	RETURN NULL;
END;
$$;
CREATE TRIGGER list_threads_changed AFTER UPDATE ON list_posts
	REFERENCING OLD TABLE AS was NEW TABLE AS became FOR EACH STATEMENT EXECUTE FUNCTION list_threads_changed();

CREATE FUNCTION list_threads_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	ls BIGINT[];
	ts BIGINT[];
BEGIN
	SELECT array_agg(list_id), array_agg(COALESCE(thread_id, id)) INTO ls, ts FROM gone WHERE status = 'published';
	IF ts IS NOT NULL THEN
		PERFORM list_threads_recount(ls, ts);
	END IF;
	RETURN NULL;
END;
$$;
CREATE TRIGGER list_threads_removed AFTER DELETE ON list_posts
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION list_threads_removed();
