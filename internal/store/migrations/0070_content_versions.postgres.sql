-- Content versions (issue 14): one counter per table that public pages are
-- read from, bumped in the writing transaction, so a cached page is checked
-- with one read of this small table instead of the page's own queries
-- (internal/web/pagever.go). A missing row is version 0. Derived data:
-- store.Dump leaves it out.
--
-- On PostgreSQL the bump waits for the commit: each writing statement only
-- notes its table in a transaction-local setting, and a deferred trigger
-- bumps the noted counters, in the order of their names, as the
-- transaction commits. Taking the counters' row locks last and in one order
-- means two writers can wait for each other's counter but never deadlock
-- over it, and a counter is locked only for the moment of the commit.
CREATE TABLE content_versions (
	area TEXT PRIMARY KEY,
	version BIGINT NOT NULL
);
CREATE FUNCTION content_versions_note() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	noted TEXT := coalesce(current_setting('plenary.content_areas', true), '');
BEGIN
	IF position(' ' || TG_TABLE_NAME || ' ' IN noted || ' ') = 0 THEN
		PERFORM set_config('plenary.content_areas', noted || ' ' || TG_TABLE_NAME, true);
	END IF;
	RETURN NULL;
END;
$$;
CREATE FUNCTION content_versions_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	noted TEXT := coalesce(current_setting('plenary.content_areas', true), '');
BEGIN
	IF noted = '' THEN
		RETURN NULL;
	END IF;
	PERFORM set_config('plenary.content_areas', '', true);
	INSERT INTO content_versions (area, version)
		SELECT a, 1 FROM (SELECT DISTINCT a FROM unnest(string_to_array(trim(noted), ' ')) AS a) AS areas ORDER BY a
		ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
	RETURN NULL;
END;
$$;
CREATE TRIGGER policy_versions_version_note AFTER INSERT OR UPDATE OR DELETE ON policy_versions
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER policy_versions_version_bump AFTER INSERT OR UPDATE OR DELETE ON policy_versions
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER announcements_version_note AFTER INSERT OR UPDATE OR DELETE ON announcements
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER announcements_version_bump AFTER INSERT OR UPDATE OR DELETE ON announcements
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER lists_version_note AFTER INSERT OR UPDATE OR DELETE ON lists
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER lists_version_bump AFTER INSERT OR UPDATE OR DELETE ON lists
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER list_posts_version_note AFTER INSERT OR UPDATE OR DELETE ON list_posts
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER list_posts_version_bump AFTER INSERT OR UPDATE OR DELETE ON list_posts
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER list_post_refs_version_note AFTER INSERT OR UPDATE OR DELETE ON list_post_refs
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER list_post_refs_version_bump AFTER INSERT OR UPDATE OR DELETE ON list_post_refs
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER list_attachments_version_note AFTER INSERT OR UPDATE OR DELETE ON list_attachments
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER list_attachments_version_bump AFTER INSERT OR UPDATE OR DELETE ON list_attachments
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER list_tombstones_version_note AFTER INSERT OR UPDATE OR DELETE ON list_tombstones
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER list_tombstones_version_bump AFTER INSERT OR UPDATE OR DELETE ON list_tombstones
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER drafts_version_note AFTER INSERT OR UPDATE OR DELETE ON drafts
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER drafts_version_bump AFTER INSERT OR UPDATE OR DELETE ON drafts
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER draft_revisions_version_note AFTER INSERT OR UPDATE OR DELETE ON draft_revisions
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER draft_revisions_version_bump AFTER INSERT OR UPDATE OR DELETE ON draft_revisions
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER draft_authors_version_note AFTER INSERT OR UPDATE OR DELETE ON draft_authors
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER draft_authors_version_bump AFTER INSERT OR UPDATE OR DELETE ON draft_authors
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER ipr_disclosures_version_note AFTER INSERT OR UPDATE OR DELETE ON ipr_disclosures
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER ipr_disclosures_version_bump AFTER INSERT OR UPDATE OR DELETE ON ipr_disclosures
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER ipr_documents_version_note AFTER INSERT OR UPDATE OR DELETE ON ipr_documents
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER ipr_documents_version_bump AFTER INSERT OR UPDATE OR DELETE ON ipr_documents
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER liaison_statements_version_note AFTER INSERT OR UPDATE OR DELETE ON liaison_statements
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER liaison_statements_version_bump AFTER INSERT OR UPDATE OR DELETE ON liaison_statements
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER meetings_version_note AFTER INSERT OR UPDATE OR DELETE ON meetings
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER meetings_version_bump AFTER INSERT OR UPDATE OR DELETE ON meetings
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER meeting_tickets_version_note AFTER INSERT OR UPDATE OR DELETE ON meeting_tickets
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER meeting_tickets_version_bump AFTER INSERT OR UPDATE OR DELETE ON meeting_tickets
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
CREATE TRIGGER registrations_version_note AFTER INSERT OR UPDATE OR DELETE ON registrations
	FOR EACH STATEMENT EXECUTE FUNCTION content_versions_note();
CREATE CONSTRAINT TRIGGER registrations_version_bump AFTER INSERT OR UPDATE OR DELETE ON registrations
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION content_versions_bump();
