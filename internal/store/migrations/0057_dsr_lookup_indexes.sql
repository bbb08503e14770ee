-- Export, removal and child purge find a person's rows by each table's
-- declared subject link (internal/inventory/rights.go): the account number,
-- or an address matched as LOWER(column) IN (the person's confirmed
-- addresses, lower case). These indexes make the links of the
-- discussion-group, meeting and draft tables look-ups rather than scans of
-- the whole table; the address ones index the same LOWER expression the
-- walker uses, on both engines. (registrations (person_id) exists already.)
CREATE INDEX dsr_list_subscriptions_person ON list_subscriptions (person_id);
CREATE INDEX dsr_list_subscriptions_email ON list_subscriptions (LOWER(email));
CREATE INDEX dsr_list_deliveries_subscription ON list_deliveries (subscription_id);
CREATE INDEX dsr_list_contributors_person ON list_contributors (person_id);
CREATE INDEX dsr_list_contributors_email ON list_contributors (LOWER(email));
CREATE INDEX dsr_list_posts_contributor ON list_posts (contributor_id);
CREATE INDEX dsr_registrations_email ON registrations (LOWER(email));
CREATE INDEX dsr_draft_authors_person ON draft_authors (person_id);
CREATE INDEX dsr_draft_authors_email ON draft_authors (LOWER(email));
