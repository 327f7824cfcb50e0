-- A worker at sea for days says so ("melaut 3 hari"): non-urgent messages wait until then.
ALTER TABLE users ADD COLUMN away_until TEXT;
