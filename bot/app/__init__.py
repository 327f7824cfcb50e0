"""The programs: command line, bot runner, admin, backup, demo data."""
