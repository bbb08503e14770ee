-- Search (G1) with an author or a date range lists the postings newest
-- first through these indexes, which hold every column the filters and the
-- order need, so a prolific author's thousands of postings are sorted and
-- checked without reading their text.
CREATE INDEX list_posts_author_date ON list_posts (contributor_id, published_at, list_id, status, id);
CREATE INDEX list_posts_list_date ON list_posts (list_id, published_at, status, id);
-- A list's page of threads groups its postings by thread and orders the
-- threads by their last posting, and a list's mbox export reads its
-- postings in order of arrival, a batch at a time: both over this index,
-- not the postings' rows.
CREATE INDEX list_posts_list_order ON list_posts (list_id, status, id, thread_id, published_at);
