"""Pos UKK bot: conversation engine, storage, texts, channel adapters and the command line."""
