-- Export and removal find a person's rows by each table's declared subject
-- link (internal/inventory/rights.go); these indexes make the links of the
-- announcement tables look-ups rather than scans of the whole table.
-- (Tables created by later migrations bring their own.)
CREATE INDEX dsr_mailing_recipients_person ON mailing_recipients (person_id);
CREATE INDEX dsr_mailings_created_by ON mailings (created_by);
CREATE INDEX dsr_mailings_sent_by ON mailings (sent_by);
