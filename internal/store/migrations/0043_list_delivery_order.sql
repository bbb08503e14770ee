-- Distribution walks a list's subscriptions in order of id, a batch at a
-- time (lists.Distributor): this index gives each batch as a range.
CREATE INDEX list_subscriptions_list_order ON list_subscriptions (list_id, id);
