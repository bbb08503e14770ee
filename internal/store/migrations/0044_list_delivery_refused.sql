-- A copy of a posting the mail server refused for good (5xx) has its
-- delivery record too, so the distribution goes on and never tries it
-- again; refused keeps the server's answer ('' for a copy sent). Such a
-- refusal is also recorded in list_bounces, with the SMTP reply code
-- (such as 550) as its status, so it counts toward disabling the
-- subscription as a bounce does.
ALTER TABLE list_deliveries ADD COLUMN refused TEXT NOT NULL DEFAULT '';
