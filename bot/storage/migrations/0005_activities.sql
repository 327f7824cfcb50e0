-- Scheduled Pos UKK activities. Occurrences follow from `first_at` (UTC) and `repeat`, computed in
-- the group's time zone; reminders and attendance will refer to an occurrence by its start time.
CREATE TABLE activities (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES pos_groups (id),
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    place        TEXT NOT NULL,
    first_at     TEXT NOT NULL,
    repeat       TEXT NOT NULL CHECK (repeat IN ('once', 'weekly', 'monthly_day', 'monthly_weekday')),
    audience     TEXT NOT NULL CHECK (audience IN ('all', 'kader')),
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    cancelled_at TEXT
);
CREATE INDEX activities_group ON activities (group_id) WHERE cancelled_at IS NULL;
