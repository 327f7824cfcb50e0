-- Each person's recent inbound messages, for the flood guard shared by several processes.
-- SQLite serves one process, whose flood guard counts in memory: nothing to store here.
-- PostgreSQL's table is in migrations/postgresql/0021_flood_counts.sql.
SELECT 1;
