-- Buttons in messages the bot sends on its own (reminders) stay valid for their recipient until
-- they expire; RSVP answers per activity occurrence (identified by its start time).
CREATE TABLE standing_offers (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token      TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (user_id, token)
);

CREATE TABLE rsvps (
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    starts_at   TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    answer      TEXT NOT NULL CHECK (answer IN ('yes', 'no')),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (activity_id, starts_at, user_id)
);
