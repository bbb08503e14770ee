-- A posting's page shows its author's name and address from
-- list_contributors, which an erasure rewrites without touching any
-- posting: cached pages of postings (and the home page) must see that
-- write too (the content versions of migration 0070).
CREATE TRIGGER list_contributors_version_insert AFTER INSERT ON list_contributors
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_contributors', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_contributors_version_update AFTER UPDATE ON list_contributors
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_contributors', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_contributors_version_delete AFTER DELETE ON list_contributors
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_contributors', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
