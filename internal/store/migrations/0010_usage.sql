-- Daily usage aggregates, ingested from each instance's finished access-log
-- files (U1). Only counts are kept: no address, no user agent, no visit.
CREATE TABLE usage_days (
	day TEXT NOT NULL,
	instance TEXT NOT NULL,
	requests BIGINT NOT NULL,
	human_requests BIGINT NOT NULL,
	bot_requests BIGINT NOT NULL,
	visitors BIGINT NOT NULL,
	human_visitors BIGINT NOT NULL,
	pages BIGINT NOT NULL,
	static_files BIGINT NOT NULL,
	not_found BIGINT NOT NULL,
	bytes BIGINT NOT NULL,
	PRIMARY KEY (day, instance)
);

-- Per-day counts by dimension (page, referrer, browser, os, bot, status,
-- hour). Groups seen by fewer visitors than the configured threshold are
-- stored only inside the "(other)" row of their dimension.
CREATE TABLE usage_counts (
	day TEXT NOT NULL,
	instance TEXT NOT NULL,
	dimension TEXT NOT NULL,
	name TEXT NOT NULL,
	requests BIGINT NOT NULL,
	visitors BIGINT NOT NULL,
	PRIMARY KEY (day, instance, dimension, name)
);

-- Which log files have been ingested, so the job resumes where it stopped
-- and never counts a file twice, even after it is compressed by rotation.
CREATE TABLE usage_sources (
	instance TEXT NOT NULL,
	day TEXT NOT NULL,
	file TEXT NOT NULL,
	lines BIGINT NOT NULL,
	invalid BIGINT NOT NULL,
	ingested_at {{time}} NOT NULL,
	PRIMARY KEY (instance, day)
);
