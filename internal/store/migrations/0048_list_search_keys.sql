-- Search (G1) checks each match's list before ranking it. A posting's row
-- is mostly its text, so a look-up in the table reads a page per match;
-- this narrow index holds the same keys densely (SQLite reads it by name,
-- PostgreSQL in an index-only scan).
CREATE INDEX list_posts_search_keys ON list_posts (id, list_id);
