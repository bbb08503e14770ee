-- A posting's page shows its author's name and address from
-- list_contributors, which an erasure rewrites without touching any
-- posting: cached pages of postings (and the home page) must see that
-- write too (the content versions of migration 0070).
CREATE TRIGGER list_contributors_version_note AFTER INSERT OR UPDATE OR DELETE ON list_contributors
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER list_contributors_version_bump AFTER INSERT OR UPDATE OR DELETE ON list_contributors
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
