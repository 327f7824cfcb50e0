"""Indicators, group status, charts, exports and workbooks."""
