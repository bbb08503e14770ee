-- The consent ledger (C5) names who agreed. For someone who subscribed to
-- a discussion group with an address alone, the entry named only the
-- subscription, whose row is deleted when they unsubscribe: afterwards
-- neither the consent nor its withdrawal led to anyone. The entry now
-- keeps the address itself, which is what the consent was about, so that
-- the proof stays whole and an export for that address finds it.
ALTER TABLE consent_ledger ADD COLUMN email TEXT;
CREATE INDEX consent_ledger_email ON consent_ledger (LOWER(email));

-- Delivery records of list mail now expire by age (retention key
-- list_delivery) rather than living as long as their subscription; the
-- daily sweep finds the old ones by this index instead of reading them
-- all.
CREATE INDEX list_deliveries_sent ON list_deliveries (sent_at);
