"""The web dashboard: server-rendered pages for kader, officers and admins (`posukk web`)."""
