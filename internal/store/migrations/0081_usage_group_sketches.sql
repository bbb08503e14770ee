-- Each instance's row of a group (a page, a browser, an hour) keeps a
-- sketch of the group's visitors made with the day's shared key, so that
-- the site-wide visitors of a page are the union of the instances'
-- visitors of it, as usage_days does for the whole day (0073). When the
-- day's key is deleted the instances' rows of that day are settled into
-- one row per group under the instance '*', with the merged figure, and
-- the sketches go. '' for rows stored before, or settled.
ALTER TABLE usage_counts ADD COLUMN visitor_sketch TEXT NOT NULL DEFAULT '';
