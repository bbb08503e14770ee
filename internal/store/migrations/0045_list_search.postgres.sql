-- The search index of discussion-group postings (G1) on PostgreSQL: the
-- words of each published posting as tsvectors under a GIN index. subject
-- holds the subject's words; body the whole posting's, the subject's
-- weighted above the text's, so that one column is matched and ranked. A
-- trigger on list_posts keeps it in step, whatever writes the postings (the
-- web, the mail listener, an import): a posting is in the index exactly
-- while it is published.
CREATE TABLE list_search (
	post_id BIGINT PRIMARY KEY REFERENCES list_posts (id) ON DELETE CASCADE,
	subject tsvector NOT NULL,
	body tsvector NOT NULL
);
CREATE INDEX list_search_words ON list_search USING GIN (body);
CREATE FUNCTION list_search_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' THEN
		DELETE FROM list_search WHERE post_id = OLD.id;
	END IF;
	IF NEW.status = 'published' THEN
		INSERT INTO list_search (post_id, subject, body) VALUES (NEW.id,
			to_tsvector('english', NEW.subject),
			setweight(to_tsvector('english', NEW.subject), 'A') || setweight(to_tsvector('english', left(NEW.body, 500000)), 'B'));
	END IF;
	RETURN NULL;
END;
$$;
CREATE TRIGGER list_search_sync AFTER INSERT OR UPDATE OF status, subject, body ON list_posts
	FOR EACH ROW EXECUTE FUNCTION list_search_sync();
INSERT INTO list_search (post_id, subject, body)
	SELECT id, to_tsvector('english', subject),
		setweight(to_tsvector('english', subject), 'A') || setweight(to_tsvector('english', left(body, 500000)), 'B')
	FROM list_posts WHERE status = 'published';
