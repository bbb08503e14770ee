-- A posting removed by staff (R4) leaves a tombstone: its number, list,
-- thread and dates, and the reason given, so its address answers "removed"
-- (HTTP 410) instead of "never existed". Nothing of its text or author is
-- kept. message_hash is the SHA-256 of its Message-ID, so the same message
-- is not imported or threaded back in, without keeping the identifier.
CREATE TABLE list_tombstones (
	post_id BIGINT PRIMARY KEY,
	list_id BIGINT NOT NULL REFERENCES lists (id),
	thread_id BIGINT,
	message_hash TEXT NOT NULL,
	posted_at {{time}},
	removed_at {{time}} NOT NULL,
	reason TEXT NOT NULL
);
CREATE INDEX list_tombstones_hash ON list_tombstones (message_hash);
