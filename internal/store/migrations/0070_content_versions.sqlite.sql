-- Content versions (issue 14): one counter per table that public pages are
-- read from, bumped by triggers inside the writing transaction, so a
-- cached page is checked with one read of this small table instead of the
-- page's own queries (internal/web/pagever.go). A missing row is version 0.
-- Derived data: store.Dump leaves it out.
CREATE TABLE content_versions (
	area TEXT PRIMARY KEY,
	version BIGINT NOT NULL
);
CREATE TRIGGER policy_versions_version_insert AFTER INSERT ON policy_versions
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('policy_versions', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER policy_versions_version_update AFTER UPDATE ON policy_versions
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('policy_versions', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER policy_versions_version_delete AFTER DELETE ON policy_versions
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('policy_versions', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER announcements_version_insert AFTER INSERT ON announcements
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('announcements', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER announcements_version_update AFTER UPDATE ON announcements
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('announcements', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER announcements_version_delete AFTER DELETE ON announcements
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('announcements', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER lists_version_insert AFTER INSERT ON lists
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('lists', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER lists_version_update AFTER UPDATE ON lists
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('lists', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER lists_version_delete AFTER DELETE ON lists
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('lists', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_posts_version_insert AFTER INSERT ON list_posts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_posts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_posts_version_update AFTER UPDATE ON list_posts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_posts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_posts_version_delete AFTER DELETE ON list_posts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_posts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_post_refs_version_insert AFTER INSERT ON list_post_refs
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_post_refs', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_post_refs_version_update AFTER UPDATE ON list_post_refs
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_post_refs', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_post_refs_version_delete AFTER DELETE ON list_post_refs
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_post_refs', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_attachments_version_insert AFTER INSERT ON list_attachments
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_attachments', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_attachments_version_update AFTER UPDATE ON list_attachments
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_attachments', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_attachments_version_delete AFTER DELETE ON list_attachments
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_attachments', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_tombstones_version_insert AFTER INSERT ON list_tombstones
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_tombstones', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_tombstones_version_update AFTER UPDATE ON list_tombstones
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_tombstones', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER list_tombstones_version_delete AFTER DELETE ON list_tombstones
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('list_tombstones', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER drafts_version_insert AFTER INSERT ON drafts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('drafts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER drafts_version_update AFTER UPDATE ON drafts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('drafts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER drafts_version_delete AFTER DELETE ON drafts
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('drafts', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER draft_revisions_version_insert AFTER INSERT ON draft_revisions
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('draft_revisions', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER draft_revisions_version_update AFTER UPDATE ON draft_revisions
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('draft_revisions', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER draft_revisions_version_delete AFTER DELETE ON draft_revisions
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('draft_revisions', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER draft_authors_version_insert AFTER INSERT ON draft_authors
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('draft_authors', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER draft_authors_version_update AFTER UPDATE ON draft_authors
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('draft_authors', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER draft_authors_version_delete AFTER DELETE ON draft_authors
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('draft_authors', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER ipr_disclosures_version_insert AFTER INSERT ON ipr_disclosures
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('ipr_disclosures', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER ipr_disclosures_version_update AFTER UPDATE ON ipr_disclosures
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('ipr_disclosures', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER ipr_disclosures_version_delete AFTER DELETE ON ipr_disclosures
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('ipr_disclosures', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER ipr_documents_version_insert AFTER INSERT ON ipr_documents
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('ipr_documents', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER ipr_documents_version_update AFTER UPDATE ON ipr_documents
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('ipr_documents', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER ipr_documents_version_delete AFTER DELETE ON ipr_documents
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('ipr_documents', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER liaison_statements_version_insert AFTER INSERT ON liaison_statements
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('liaison_statements', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER liaison_statements_version_update AFTER UPDATE ON liaison_statements
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('liaison_statements', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER liaison_statements_version_delete AFTER DELETE ON liaison_statements
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('liaison_statements', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER meetings_version_insert AFTER INSERT ON meetings
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('meetings', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER meetings_version_update AFTER UPDATE ON meetings
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('meetings', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER meetings_version_delete AFTER DELETE ON meetings
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('meetings', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER meeting_tickets_version_insert AFTER INSERT ON meeting_tickets
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('meeting_tickets', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER meeting_tickets_version_update AFTER UPDATE ON meeting_tickets
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('meeting_tickets', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER meeting_tickets_version_delete AFTER DELETE ON meeting_tickets
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('meeting_tickets', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER registrations_version_insert AFTER INSERT ON registrations
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('registrations', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER registrations_version_update AFTER UPDATE ON registrations
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('registrations', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
CREATE TRIGGER registrations_version_delete AFTER DELETE ON registrations
BEGIN
	INSERT INTO content_versions (area, version) VALUES ('registrations', 1) ON CONFLICT (area) DO UPDATE SET version = content_versions.version + 1;
END;
