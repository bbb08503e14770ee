-- IPR disclosures (PUB1): a participant tells the organization of patents
-- that may bear on its documents. A disclosure waits for the secretariat
-- (state pending), which posts or rejects it with a reason; once posted
-- it is a public record kept forever, and a removal by staff leaves its
-- tombstone (state removed, with reason and date). updates_id names the
-- disclosure this one updates. The holder's contact is shown publicly
-- only when show_contact is true.
CREATE TABLE ipr_disclosures (
	id {{id}},
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	holder TEXT NOT NULL,
	contact_name TEXT NOT NULL DEFAULT '',
	contact_email TEXT NOT NULL DEFAULT '',
	contact_info TEXT NOT NULL DEFAULT '',
	show_contact BOOLEAN NOT NULL,
	patents TEXT NOT NULL DEFAULT '',
	licensing TEXT NOT NULL,
	licensing_notes TEXT NOT NULL DEFAULT '',
	updates_id BIGINT REFERENCES ipr_disclosures (id),
	submitter_id BIGINT,
	state TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	submitted_at {{time}} NOT NULL,
	decided_at {{time}}
);
CREATE INDEX ipr_disclosures_state ON ipr_disclosures (state, submitted_at);
CREATE INDEX ipr_disclosures_submitter ON ipr_disclosures (submitter_id);

-- The drafts a disclosure names, by name (a disclosure may name a draft
-- not posted here).
CREATE TABLE ipr_documents (
	id {{id}},
	disclosure_id BIGINT NOT NULL REFERENCES ipr_disclosures (id),
	draft_name TEXT NOT NULL
);
CREATE INDEX ipr_documents_draft ON ipr_documents (draft_name);
CREATE INDEX ipr_documents_disclosure ON ipr_documents (disclosure_id);
