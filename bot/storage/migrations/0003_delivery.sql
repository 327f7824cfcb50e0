-- Delivery: people who blocked the bot or deleted their account are skipped from then on, and
-- the delivery job finds due rows by channel quickly.
ALTER TABLE users ADD COLUMN unreachable_at TEXT;
CREATE INDEX outbox_pending ON outbox (not_before) WHERE status = 'pending';
