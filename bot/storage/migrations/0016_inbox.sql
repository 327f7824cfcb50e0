-- The durable inbox (bot/inbox.py): every update from a chat platform, stored as it came before
-- the platform is told it arrived. The transaction that holds the effects of handling it also
-- stores the answer (`answer`, until it is sent, then the row goes), or deletes the row if there
-- is nothing to answer. What stays is waiting, being answered, or could not be handled (a poison
-- update, kept with the reason for 14 days like the ids below).
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    update_ref TEXT NOT NULL,
    sender TEXT NOT NULL,
    raw TEXT NOT NULL,
    received_at TEXT NOT NULL,
    answer TEXT,
    failed_at TEXT,
    error TEXT,
    UNIQUE (channel, update_ref)
);
CREATE INDEX inbox_sender ON inbox (channel, sender);

-- Who sent a message id, so erasure removes a person's ids too.
ALTER TABLE inbound_seen ADD COLUMN user_ref TEXT;
CREATE INDEX inbound_seen_user ON inbound_seen (channel, user_ref) WHERE user_ref IS NOT NULL;

-- A voice note sent during a report, kept with it like its photo (a path under photos/).
ALTER TABLE incidents ADD COLUMN voice_ref TEXT;
