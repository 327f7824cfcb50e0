"""Shared by every layer: message models, settings, clock, texts, stored formats."""
