-- Sending limits shared by several processes (bot/storage/pace.py, scheduler/pacing.py). SQLite
-- serves one process, which paces in memory: `send_pace` stays empty and `claimed_by` NULL.
-- On PostgreSQL `send_pace` holds, per channel, the end of the sending time reserved so far on
-- one timeline (the server's epoch seconds), and `claimed_by` names the process holding a row.
CREATE TABLE send_pace (
    channel TEXT PRIMARY KEY,
    next_at REAL NOT NULL
) WITHOUT ROWID;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
