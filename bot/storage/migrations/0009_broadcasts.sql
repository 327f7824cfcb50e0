-- Broadcasts: one message from an officer or kader to many people. Recipients are queued into
-- the outbox in batches, in user id order (`queued_through` is how far), so a crash resumes where
-- it stopped and the dedupe key keeps each recipient to one row. Counts are read from the outbox.
CREATE TABLE broadcasts (
    id             INTEGER PRIMARY KEY,
    author_id      INTEGER NOT NULL REFERENCES users (id),
    audience       TEXT NOT NULL,
    text           TEXT NOT NULL,
    photo          TEXT,
    status         TEXT NOT NULL
                   CHECK (status IN ('scheduled', 'sending', 'paused', 'cancelled', 'done')),
    created_at     TEXT NOT NULL,
    send_at        TEXT NOT NULL,
    started_at     TEXT,
    finished_at    TEXT,
    queued_through INTEGER NOT NULL DEFAULT 0,
    queued_all     INTEGER NOT NULL DEFAULT 0,
    progress_step  INTEGER NOT NULL DEFAULT 0,
    progress_at    TEXT,
    progress_count INTEGER NOT NULL DEFAULT 0,
    progress_row   INTEGER
);
CREATE INDEX broadcasts_author ON broadcasts (author_id, id);
CREATE INDEX broadcasts_open ON broadcasts (status) WHERE status IN ('scheduled', 'sending', 'paused');

-- Answers recipients gave to a broadcast, for its author's inbox.
CREATE TABLE broadcast_replies (
    id           INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    read_at      TEXT
);
CREATE INDEX broadcast_replies_broadcast ON broadcast_replies (broadcast_id, id);

-- Bulk rows name their broadcast (for counts, pause and cancel) and go after everything else;
-- the platform's id of a sent message lets a later row edit it (a progress report).
ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts (id);
ALTER TABLE outbox ADD COLUMN platform_message_id TEXT;
CREATE INDEX outbox_broadcast ON outbox (broadcast_id, status) WHERE broadcast_id IS NOT NULL;
-- The claim walks pending rows in the order it takes them (urgent, ordinary, bulk) and stops
-- after one batch, instead of sorting every pending row of a large broadcast each time.
CREATE INDEX outbox_claim ON outbox (urgent DESC, (broadcast_id IS NOT NULL), id)
WHERE status = 'pending';
