-- A remember-me token is replaced by a new one each time it is used, and
-- the used one is kept with kind 'retired' until its old expiry. family
-- ties together every session and remember-me token that descends from
-- one sign-in, so that a retired token coming back (someone else holds a
-- copy of it) ends them all at once. Rows from before this column have
-- none and end on their own.
ALTER TABLE sessions ADD COLUMN family TEXT;
CREATE INDEX sessions_family ON sessions (family);
