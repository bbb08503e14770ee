-- The consent ledger only grows: a changed or removed entry would make it
-- worthless as a record of what someone agreed to.
CREATE FUNCTION consent_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the consent ledger is append-only';
END;
$$;
CREATE TRIGGER consent_ledger_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON consent_ledger
	FOR EACH STATEMENT EXECUTE FUNCTION consent_ledger_append_only();
