-- Indexes the frequent queries need once a deployment is large (bench/data_scale.py: 100,000
-- people, 2,000 groups, 200,000 reports, 1,000,000 outbox rows); without them each read a whole
-- table. tests/bot/test_query_plans.py keeps those queries on indexes.

-- A group's members at the end of any month, those who left since included (monthly indicators).
CREATE INDEX memberships_group_joined ON memberships (group_id, joined_at);
-- A group's activities, cancelled ones included: the month's planned and held meetings.
CREATE INDEX activities_group_first ON activities (group_id, first_at);
-- Whether a member was active in a month: answered a reminder, or attended.
CREATE INDEX rsvps_user ON rsvps (user_id, answered_at);
CREATE INDEX attendance_user ON attendance (user_id, starts_at);
-- One person's messages: broadcasts delivered to a group's members in a month, and the pending
-- rows of someone found unreachable.
CREATE INDEX outbox_user ON outbox (user_id, status, sent_at);

-- The reports the escalation job looks at every minute, in the order it takes them. The planner
-- never used incidents_unattended for that query: it read the table in id order instead.
CREATE INDEX incidents_to_escalate ON incidents (id)
WHERE first_action_at IS NULL AND escalated_at IS NULL AND status = 'open';
DROP INDEX incidents_unattended;

-- No query looks pending rows up by (status, not_before) any more (the claim walks outbox_claim,
-- the others outbox_pending); and on `status = 'sent'` the planner took this index for a narrow
-- one and walked nearly every row (a group's monthly indicators took seconds).
DROP INDEX outbox_due;
