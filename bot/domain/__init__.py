"""Rules of the domain: access, audiences, recurrence, dates, phones, codes, quiet hours."""
