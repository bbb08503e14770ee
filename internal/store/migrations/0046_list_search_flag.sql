-- A list left out of site-wide search (a test list, say): its archive is
-- still searched when the search names it.
ALTER TABLE lists ADD COLUMN searchable BOOLEAN NOT NULL DEFAULT TRUE;

-- Search filters by author and by date read these instead of every posting.
CREATE INDEX list_posts_by_author ON list_posts (contributor_id);
CREATE INDEX list_posts_by_date ON list_posts (list_id, published_at);
