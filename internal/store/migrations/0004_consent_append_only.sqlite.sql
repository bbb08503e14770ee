-- The consent ledger only grows: a changed or removed entry would make it
-- worthless as a record of what someone agreed to.
CREATE TRIGGER consent_ledger_no_update BEFORE UPDATE ON consent_ledger
BEGIN
	SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
CREATE TRIGGER consent_ledger_no_delete BEFORE DELETE ON consent_ledger
BEGIN
	SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
