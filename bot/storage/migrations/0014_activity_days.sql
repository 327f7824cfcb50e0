-- The days each person wrote to the bot, so "active in the last 60 days" can be counted for any
-- month, not only from `users.last_seen_at`. One small row per person and day.
CREATE TABLE activity_days (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT NOT NULL,
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;
CREATE INDEX activity_days_day ON activity_days (day);
CREATE INDEX activity_records_start ON activity_records (starts_at);
