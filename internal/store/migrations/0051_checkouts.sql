-- Payment state that cannot drift (issue 10): a registration has at most
-- one live checkout (open, or declined and still taking another card),
-- whatever two requests or two instances do at once. A second attempt
-- resumes it; one past its time is expired at the processor first.
CREATE UNIQUE INDEX payments_one_live ON payments (registration_id) WHERE status IN ('open', 'declined');
