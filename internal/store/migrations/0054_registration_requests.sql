-- A registrant's own requests on a registration (issue 10): when they
-- cancelled it, and when they asked for a refund, with the reason they
-- gave. The reason is shredded with the other non-public details.
ALTER TABLE registrations ADD COLUMN cancelled_at {{time}};
ALTER TABLE registrations ADD COLUMN refund_requested_at {{time}};
ALTER TABLE registrations ADD COLUMN refund_reason TEXT NOT NULL DEFAULT '';
