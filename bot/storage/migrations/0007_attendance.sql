-- After an activity the kader records whether it was held, a short note, and who attended.
CREATE TABLE activity_records (
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    starts_at   TEXT NOT NULL,
    held        INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    recorded_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (activity_id, starts_at)
);

CREATE TABLE attendance (
    activity_id INTEGER NOT NULL,
    starts_at   TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (activity_id, starts_at, user_id),
    FOREIGN KEY (activity_id, starts_at) REFERENCES activity_records (activity_id, starts_at)
);
