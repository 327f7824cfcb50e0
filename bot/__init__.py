"""Pos UKK bot, by layer: base, storage, domain, reports, core, channels, app (see
docs/architecture.md, "The layers")."""
