-- Chat-app groups (a Telegram group) linked to a Pos UKK by its kader: activity reminders and
-- broadcasts for that Pos UKK are also posted there, nothing private ever is. One chat belongs
-- to one Pos UKK at a time; `unlinked_at` is set when someone unlinks it or the bot is removed.
CREATE TABLE group_chats (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES pos_groups (id),
    channel     TEXT NOT NULL,
    chat_ref    TEXT NOT NULL,
    title       TEXT NOT NULL,
    language    TEXT NOT NULL,
    linked_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    linked_at   TEXT NOT NULL,
    unlinked_at TEXT,
    UNIQUE (channel, chat_ref)
);
CREATE INDEX group_chats_group ON group_chats (group_id) WHERE unlinked_at IS NULL;

-- An outbox row now goes to a person or to a group chat, never both: the table is rebuilt
-- (SQLite cannot relax NOT NULL in place) with the same rows, ids and indexes.
CREATE TABLE outbox_new (
    id                  INTEGER PRIMARY KEY,
    user_id             INTEGER REFERENCES users (id) ON DELETE CASCADE,
    group_chat_id       INTEGER REFERENCES group_chats (id) ON DELETE CASCADE,
    kind                TEXT NOT NULL,
    payload             TEXT NOT NULL,
    dedupe_key          TEXT NOT NULL UNIQUE,
    urgent              INTEGER NOT NULL DEFAULT 0,
    not_before          TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'failed', 'unreachable')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    claimed_until       TEXT,
    sent_at             TEXT,
    last_error          TEXT,
    broadcast_id        INTEGER REFERENCES broadcasts (id),
    platform_message_id TEXT,
    CHECK ((user_id IS NULL) <> (group_chat_id IS NULL))
);
INSERT INTO outbox_new (id, user_id, kind, payload, dedupe_key, urgent, not_before, created_at,
                        status, attempts, claimed_until, sent_at, last_error, broadcast_id,
                        platform_message_id)
SELECT id, user_id, kind, payload, dedupe_key, urgent, not_before, created_at, status, attempts,
       claimed_until, sent_at, last_error, broadcast_id, platform_message_id
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_pending ON outbox (not_before) WHERE status = 'pending';
CREATE INDEX outbox_broadcast ON outbox (broadcast_id, status) WHERE broadcast_id IS NOT NULL;
CREATE INDEX outbox_claim ON outbox (urgent DESC, (broadcast_id IS NOT NULL), id)
WHERE status = 'pending';
CREATE INDEX outbox_group_chat ON outbox (group_chat_id, status) WHERE group_chat_id IS NOT NULL;
