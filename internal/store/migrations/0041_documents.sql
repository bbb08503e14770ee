-- Internet-Drafts (PUB1): public records kept forever. drafts holds one
-- row per name with its latest revision, for the list; draft_revisions
-- every posted revision with its sources as submitted; draft_authors the
-- authors each revision names, as it names them (person_id links to the
-- participant record made or found for an author's address, origin
-- "draft-author").
CREATE TABLE drafts (
	id {{id}},
	name TEXT NOT NULL UNIQUE,
	rev TEXT NOT NULL,
	title TEXT NOT NULL,
	grp TEXT NOT NULL DEFAULT '',
	authors TEXT NOT NULL DEFAULT '',
	posted_at {{time}} NOT NULL
);
CREATE INDEX drafts_posted ON drafts (posted_at);

CREATE TABLE draft_revisions (
	id {{id}},
	draft_id BIGINT NOT NULL REFERENCES drafts (id),
	rev TEXT NOT NULL,
	title TEXT NOT NULL,
	abstract TEXT NOT NULL,
	doc_date TEXT NOT NULL DEFAULT '',
	grp TEXT NOT NULL DEFAULT '',
	refs TEXT NOT NULL DEFAULT '',
	xml_source TEXT NOT NULL DEFAULT '',
	txt_source TEXT NOT NULL DEFAULT '',
	submitter_id BIGINT,
	posted_at {{time}} NOT NULL,
	UNIQUE (draft_id, rev)
);
CREATE INDEX draft_revisions_submitter ON draft_revisions (submitter_id);

CREATE TABLE draft_authors (
	id {{id}},
	revision_id BIGINT NOT NULL REFERENCES draft_revisions (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	name TEXT NOT NULL,
	email TEXT NOT NULL DEFAULT '',
	affiliation TEXT NOT NULL DEFAULT '',
	person_id BIGINT
);
CREATE INDEX draft_authors_revision ON draft_authors (revision_id, position);

