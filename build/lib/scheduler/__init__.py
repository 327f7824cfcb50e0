"""Scheduled jobs: outbox delivery, reminders, follow-ups and summaries (APScheduler)."""
