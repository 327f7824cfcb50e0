-- The flood guard's counts when several processes share the database (bot/storage/floods.py):
-- one row per person who wrote lately, with the times (epoch seconds) of their messages in the
-- last minute and, after a flood, when their pause ends. Quiet rows are deleted as they go.
CREATE TABLE flood_counts (
    channel      TEXT COLLATE "C" NOT NULL,
    platform_id  TEXT COLLATE "C" NOT NULL,
    recent       DOUBLE PRECISION[] NOT NULL,
    paused_until DOUBLE PRECISION NOT NULL,
    verdict      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (channel, platform_id)
);
