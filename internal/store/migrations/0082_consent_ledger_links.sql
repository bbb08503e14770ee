-- A person's ledger entries are also found through what they sent from a
-- proven address without an account (a registration, a subscription, a
-- first posting): the export and the account page look them up by these
-- columns, each from an index rather than by reading the ledger whole.
CREATE INDEX consent_ledger_registration ON consent_ledger (registration_id);
CREATE INDEX consent_ledger_subscription ON consent_ledger (subscription_id);
CREATE INDEX consent_ledger_contributor ON consent_ledger (contributor_id);
