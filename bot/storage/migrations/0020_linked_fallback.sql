-- A message that finds a person unreachable on one app goes to their linked account on the
-- other, once: the identity left behind is marked, so delivery never falls back to it again
-- (until the person writes from it, which makes it their main identity once more), and the
-- row that was moved says from which app.
ALTER TABLE user_identities ADD COLUMN unreachable_at TEXT;
ALTER TABLE outbox ADD COLUMN rerouted_from TEXT;
