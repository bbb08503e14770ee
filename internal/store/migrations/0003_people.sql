-- Participants (C4, R3). A person row exists for everyone with an account
-- and for people known only from public records (a draft's author, a list
-- posting); password_hash is empty for those until they set one.
CREATE TABLE people (
	id {{id}},
	name TEXT NOT NULL,
	postal_address TEXT NOT NULL DEFAULT '',
	affiliation TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',
	age_attested_at {{time}},
	created_at {{time}} NOT NULL,
	updated_at {{time}} NOT NULL
);

-- Every address a person is known by, with where it came from: what may be
-- erased and what is public record is a query on origin.
CREATE TABLE person_emails (
	id {{id}},
	person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	address TEXT NOT NULL,
	address_key TEXT NOT NULL UNIQUE,
	origin TEXT NOT NULL,
	is_primary BOOLEAN NOT NULL,
	verified_at {{time}},
	active BOOLEAN NOT NULL,
	created_at {{time}} NOT NULL
);
CREATE INDEX person_emails_person ON person_emails (person_id);

CREATE TABLE person_roles (
	person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	granted_at {{time}} NOT NULL,
	PRIMARY KEY (person_id, role)
);

-- Who changed which field of a person, when, from what to what (R3).
CREATE TABLE person_changes (
	id {{id}},
	person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	actor_id BIGINT,
	field TEXT NOT NULL,
	old_value TEXT NOT NULL,
	new_value TEXT NOT NULL,
	changed_at {{time}} NOT NULL
);
CREATE INDEX person_changes_person ON person_changes (person_id, changed_at);

-- Server-side sessions: the cookie holds a random token, the table only
-- its SHA-256, so a copy of the database signs nobody in. kind is
-- 'session' (the session cookie) or 'remember' (the persistent cookie).
CREATE TABLE sessions (
	id {{id}},
	token_hash TEXT NOT NULL UNIQUE,
	person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	created_at {{time}} NOT NULL,
	expires_at {{time}} NOT NULL
);
CREATE INDEX sessions_person ON sessions (person_id);

-- One-time tokens mailed in links (address verification, password
-- reset): stored only as SHA-256, single use, expiring.
CREATE TABLE auth_tokens (
	id {{id}},
	token_hash TEXT NOT NULL UNIQUE,
	purpose TEXT NOT NULL,
	person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	email_id BIGINT REFERENCES person_emails (id) ON DELETE CASCADE,
	created_at {{time}} NOT NULL,
	expires_at {{time}} NOT NULL,
	used_at {{time}}
);

-- Attempt counters for sign-in, sign-up and reset, shared by every
-- instance. bucket is a SHA-256 of the action and the IP or address.
CREATE TABLE rate_limits (
	bucket TEXT NOT NULL,
	window_start {{time}} NOT NULL,
	hits INTEGER NOT NULL,
	PRIMARY KEY (bucket, window_start)
);

-- The consent ledger (C5, C6, V3): append-only; migration 0004 adds a
-- trigger per engine that refuses UPDATE and DELETE.
CREATE TABLE consent_ledger (
	id {{id}},
	person_id BIGINT NOT NULL,
	purpose TEXT NOT NULL,
	granted BOOLEAN NOT NULL,
	policy_version_id BIGINT NOT NULL REFERENCES policy_versions (id),
	channel TEXT NOT NULL,
	transfer_statement TEXT NOT NULL,
	recorded_by BIGINT,
	recorded_at {{time}} NOT NULL
);
CREATE INDEX consent_ledger_person ON consent_ledger (person_id, id);
