"""SQLite storage: migrations, one repository per aggregate, and the unit of work.

All SQL of the project lives in this package.
"""
