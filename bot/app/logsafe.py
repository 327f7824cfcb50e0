"""Log lines without secrets or whole phone numbers.

The redaction runs on the final formatted text of every root handler, so a token inside a
`%s` argument or an exception traceback is caught as well as one in the message itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from bot.base.settings import Settings

MASK = "***"

_BOT_TOKEN = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}")
"""A Telegram bot token (`<bot id>:<secret>`), e.g. inside `https://api.telegram.org/bot.../`."""
_ACCESS_TOKEN = re.compile(r"(\baccess_token=)[^&\s'\"]+", re.IGNORECASE)
_BEARER = re.compile(r"(\bBearer\s+)[^\s'\",;]+", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w.+-])"  # not the tail of a word, a decimal or a signed number (chat ids are -100...)
    r"(?P<prefix>\+62|62|0)[ -]?"
    r"(?P<national>8\d\d(?:[ -]?\d){6,9})"  # 9-12 digits: 10-digit ids starting 628 stay intact
    r"(?!\w)"
)
"""An Indonesian mobile number: +62 8.., 62 8.. or 08.., digits optionally grouped by ` ` or `-`."""


def _mask_phone(match: re.Match[str]) -> str:
    """`0812*****89`: the operator prefix and the last two digits, one `*` per hidden digit."""
    digits = re.sub(r"\D", "", match["national"])
    return f"{match['prefix']}{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"


class RedactingFormatter(logging.Formatter):
    """Formats with `inner`, then hides secrets, token-shaped strings and phone numbers."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.inner = inner
        # Also as they appear in a URL; longest first, so no part of a longer secret survives.
        # An empty secret (a setting given as "") would match everywhere: it is left out.
        variants = {form for secret in secrets if secret for form in _url_forms(secret)}
        ordered = sorted(variants, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def redact(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        text = _BOT_TOKEN.sub(MASK, text)
        text = _ACCESS_TOKEN.sub(rf"\g<1>{MASK}", text)
        text = _BEARER.sub(rf"\g<1>{MASK}", text)
        return _PHONE.sub(_mask_phone, text)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self.inner.format(record))


def _url_forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")}


def _configured_secrets(settings: Settings) -> list[str]:
    values = (
        settings.telegram_token,
        settings.telegram_webhook_secret,
        settings.whatsapp_token,
        settings.whatsapp_verify_token,
        settings.whatsapp_app_secret,
    )
    return [value.get_secret_value() for value in values if value is not None]


def install_log_redaction(settings: Settings) -> None:
    """Redact the output of every handler the root logger has now (call after basicConfig).

    Handlers added later, and handlers of loggers that do not propagate, are not covered.
    """
    secrets = _configured_secrets(settings)
    for handler in logging.getLogger().handlers:
        inner = handler.formatter or logging.Formatter()
        if isinstance(inner, RedactingFormatter):  # installed twice: wrap the original once
            inner = inner.inner
        handler.setFormatter(RedactingFormatter(inner, secrets))
