-- The card packs a person saved on the phone (`/kartu`), and when a pack was last offered to
-- them (going to sea): the offer comes at most once a month, and not to someone who has it.
CREATE TABLE card_packs (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pack       TEXT NOT NULL,
    saved_at   TEXT,
    offered_at TEXT,
    PRIMARY KEY (user_id, pack)
) WITHOUT ROWID;
