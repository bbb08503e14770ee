-- The register of disclosures required by law (U4): who asked, on what
-- legal basis, what was disclosed about whom and when, and whether and
-- when the person was told (told_at NULL: not yet, or not allowed to be;
-- untold says why). Entries expire by the retention key "disclosure".
CREATE TABLE disclosures (
	id {{id}},
	person_id BIGINT,
	subject TEXT NOT NULL DEFAULT '',
	requester TEXT NOT NULL,
	legal_basis TEXT NOT NULL,
	disclosed TEXT NOT NULL,
	disclosed_at {{time}} NOT NULL,
	told_at {{time}},
	untold TEXT NOT NULL DEFAULT '',
	recorded_by BIGINT NOT NULL,
	recorded_at {{time}} NOT NULL
);
CREATE INDEX disclosures_person ON disclosures (person_id);
CREATE INDEX disclosures_at ON disclosures (disclosed_at);
