-- What the platform later says about a sent message (WhatsApp status webhooks): when it reached
-- the phone and was read, and whether it must go again as a template (its window had closed).
ALTER TABLE outbox ADD COLUMN delivered_at TEXT;
ALTER TABLE outbox ADD COLUMN read_at TEXT;
ALTER TABLE outbox ADD COLUMN template_only INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_platform_message ON outbox (platform_message_id)
WHERE platform_message_id IS NOT NULL;
