-- INSERT OR REPLACE (and REPLACE) overwrite a consent entry by deleting the
-- row with the same id, and SQLite fires no delete trigger for that unless
-- recursive triggers are on, so 0004's triggers miss it. An insert that
-- names an existing id is refused before the conflict is resolved.
-- PostgreSQL has no REPLACE; its ON CONFLICT DO UPDATE is an update, which
-- 0004 already refuses.
CREATE TRIGGER consent_ledger_no_replace BEFORE INSERT ON consent_ledger
WHEN EXISTS (SELECT 1 FROM consent_ledger WHERE id = NEW.id)
BEGIN
	SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
