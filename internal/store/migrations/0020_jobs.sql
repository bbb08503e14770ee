-- The job queue shared by every instance (internal/jobs): list
-- distribution, mailings and periodic sweeps are rows here, claimed by one
-- instance at a time under a lease, so each runs once however many
-- instances serve the site, and a job whose instance died is taken up by
-- another when its lease runs out. A payload holds ids, never personal data.
CREATE TABLE jobs (
	id {{id}},
	kind TEXT NOT NULL,
	unique_key TEXT,
	payload TEXT NOT NULL DEFAULT '',
	run_at {{time}} NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL DEFAULT 5,
	locked_by TEXT,
	locked_until {{time}},
	finished_at {{time}},
	failed BOOLEAN NOT NULL DEFAULT FALSE,
	last_error TEXT NOT NULL DEFAULT '',
	created_at {{time}} NOT NULL
);

-- At most one unfinished job of a kind and key: a periodic job or a
-- mailing is enqueued by every instance at start, and kept once.
CREATE UNIQUE INDEX jobs_one_open ON jobs (kind, unique_key) WHERE finished_at IS NULL AND unique_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE finished_at IS NULL;
