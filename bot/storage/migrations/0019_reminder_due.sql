-- When each activity's next reminder falls due (scheduler/reminders.py), so that the minute's
-- tick reads only the activities due instead of all of them. NULL: to be worked out at the next
-- tick (a new or changed activity, and every activity when the bot starts).
ALTER TABLE activities ADD COLUMN remind_at TEXT;
CREATE INDEX activities_remind_at ON activities (remind_at) WHERE cancelled_at IS NULL;
