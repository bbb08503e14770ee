-- Participant mailings (D1): who asked for announcements by e-mail, each
-- announcement, and for each announcement the recipients fixed when it was
-- sent, with what happened to each copy. The history of every opt-in and
-- opt-out is in the consent ledger; this table holds the current state.
CREATE TABLE mailing_subscriptions (
	person_id BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
	-- 'pending' (asked, link not yet followed), 'confirmed' or 'opted_out'
	state TEXT NOT NULL,
	requested_at {{time}} NOT NULL,
	confirmed_at {{time}},
	opted_out_at {{time}},
	-- how the last opt-out arrived: web, e-mail, phone or post
	opt_out_channel TEXT NOT NULL DEFAULT '',
	-- SHA-256 of the mailed confirmation link's token, cleared once used
	confirm_token_hash TEXT UNIQUE,
	confirm_expires_at {{time}}
);
CREATE INDEX mailing_subscriptions_state ON mailing_subscriptions (state);

CREATE TABLE mailings (
	id {{id}},
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	created_by BIGINT REFERENCES people (id) ON DELETE SET NULL,
	created_at {{time}} NOT NULL,
	-- 'draft', 'sending' or 'finished'
	state TEXT NOT NULL,
	sent_by BIGINT REFERENCES people (id) ON DELETE SET NULL,
	sent_at {{time}},
	finished_at {{time}}
);

-- One row per recipient, written when the mailing is sent: the job sends
-- to these rows only, so who receives it does not change while it runs,
-- and each row's state is the record that its copy went (or why not).
CREATE TABLE mailing_recipients (
	id {{id}},
	mailing_id BIGINT NOT NULL REFERENCES mailings (id) ON DELETE CASCADE,
	person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
	address TEXT NOT NULL,
	-- 'pending', 'sending' (handed to a worker), 'sent' or 'failed'
	state TEXT NOT NULL,
	-- the worker attempt that holds a 'sending' row
	claim TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	next_try_at {{time}},
	reason TEXT NOT NULL DEFAULT '',
	sent_at {{time}},
	-- SHA-256 of the unsubscribe token in this copy, set when it is sent
	token_hash TEXT UNIQUE,
	unsubscribed_at {{time}},
	UNIQUE (mailing_id, person_id)
);
CREATE INDEX mailing_recipients_work ON mailing_recipients (mailing_id, state, id);
