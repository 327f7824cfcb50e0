-- The flood guard's counts when several processes share the database (bot/storage/floods.py);
-- PostgreSQL's table is in migrations/postgresql/0021_flood_counts.sql. SQLite serves one
-- process, whose flood guard counts in memory: this table stays empty, and is here so that
-- erasing a person reads the same on both.
CREATE TABLE flood_counts (
    channel      TEXT NOT NULL,
    platform_id  TEXT NOT NULL,
    recent       TEXT NOT NULL,
    paused_until REAL NOT NULL,
    verdict      TEXT NOT NULL,
    PRIMARY KEY (channel, platform_id)
) WITHOUT ROWID;
