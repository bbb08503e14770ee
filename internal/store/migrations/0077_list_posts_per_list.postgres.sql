-- A message sent to several lists of the site is a posting of each: its
-- Message-ID is unique within a list, not across lists.
ALTER TABLE list_posts DROP CONSTRAINT list_posts_message_id_key;
ALTER TABLE list_posts ADD CONSTRAINT list_posts_list_message UNIQUE (list_id, message_id);

-- When a contributor who has not accepted the contribution terms was last
-- mailed the link to accept them for postings to a list: at most one such
-- mail a day per list and address, whatever the From of incoming mail
-- says and however many instances take it.
CREATE TABLE list_terms_notices (
	list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
	contributor_id BIGINT NOT NULL REFERENCES list_contributors (id) ON DELETE CASCADE,
	sent_at {{time}} NOT NULL,
	PRIMARY KEY (contributor_id, list_id)
);

-- When a subscriber was last mailed their unsubscribe link because a
-- message to NAME-unsubscribe@ named their address: at most one a day,
-- however many messages claim to come from them.
ALTER TABLE list_subscriptions ADD COLUMN unsubscribe_mailed_at {{time}};
