-- A removal request is decided category by category (R4): each category
-- (internal/inventory RemovalCategories) is approved or declined with a
-- reason; done_at is set when an approved category's removal has run.
CREATE TABLE removal_decisions (
	request_id BIGINT NOT NULL REFERENCES removal_requests (id),
	category TEXT NOT NULL,
	approved BOOLEAN NOT NULL,
	reason TEXT NOT NULL,
	done_at {{time}},
	PRIMARY KEY (request_id, category)
);

-- reply_to is where the decision is mailed, read before the removal and
-- emptied once the message is sent. entered_by and verified are set when
-- staff enter a request a person sent by mail: who entered it and how the
-- person's identity was checked.
ALTER TABLE removal_requests ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE removal_requests ADD COLUMN entered_by BIGINT;
ALTER TABLE removal_requests ADD COLUMN verified TEXT NOT NULL DEFAULT '';
