-- One person on two chat apps, if they choose: more identities of a user. `users.channel` and
-- `users.platform_id` stay the identity messages go to (the one the person wrote from last);
-- the others are kept here. A one-time code, made on one app and typed on the other, links them.
CREATE TABLE user_identities (
    channel     TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at   TEXT NOT NULL,
    PRIMARY KEY (channel, platform_id)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

CREATE TABLE link_codes (
    code       TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
