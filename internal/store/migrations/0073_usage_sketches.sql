-- Mergeable visitor counts across instances (S3): each instance stores,
-- with its daily counts, a HyperLogLog sketch of the day's visitors and
-- of its human visitors (base64 of analytics.Sketch), made with the day's
-- shared key, so the site-wide figure is the size of the union of the
-- instances' visitors instead of their sum. '' for rows stored before.
ALTER TABLE usage_days ADD COLUMN visitor_sketch TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_days ADD COLUMN human_sketch TEXT NOT NULL DEFAULT '';

-- The key of each day's visitor hash, shared by the instances counting
-- that day and deleted a few days later (usage.KeyDays), after which no
-- one can tell from a sketch whether an address visited.
CREATE TABLE usage_day_keys (
	day TEXT PRIMARY KEY,
	secret TEXT NOT NULL
);
