"""Which version of the consent text people agree to now."""

from __future__ import annotations

from bot.base.settings import Settings
from bot.base.texts import LANGUAGES, Texts


def consent_version(texts: Texts, settings: Settings) -> str:
    """The catalog's `consent.version` plus the retention period the text promises: a change to
    either wording or period asks everyone again."""
    return f"{texts.get(LANGUAGES[0], 'consent.version')}/{settings.retention_years}y"
