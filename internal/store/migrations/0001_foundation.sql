-- Privacy statement versions. Each row is an immutable, fully rendered
-- snapshot: what a visitor read on a given day stays readable (V1).
CREATE TABLE policy_versions (
	id {{id}},
	published_at {{time}} NOT NULL,
	material BOOLEAN NOT NULL,
	summary TEXT NOT NULL,
	source TEXT NOT NULL,
	template TEXT NOT NULL,
	body TEXT NOT NULL
);

-- Notices shown on the home page for a while, such as a new policy (V2).
CREATE TABLE announcements (
	id {{id}},
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	link TEXT NOT NULL,
	starts_at {{time}} NOT NULL,
	ends_at {{time}} NOT NULL
);
CREATE INDEX announcements_window ON announcements (ends_at);
