"""Join links of a Pos UKK group (Telegram and WhatsApp), and its code in a first message."""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.storage.groups import JOIN_CODE_LENGTH, normalise_join_code
from bot.storage.records import Group

SIGN_UP_WORD = "DAFTAR"
"""The first word of the message a WhatsApp join link writes for the person."""
SIGN_UP_WORDS = frozenset({"daftar", "register", "join"})
_CODE_CHARS = re.compile(r"^[A-Za-z0-9 -]{6,12}$")


def join_link(bot_username: str, group: Group) -> str:
    """`t.me/<bot>?start=<code>`: opening it starts the bot with the group's code filled in."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={group.join_code}"


def whatsapp_join_link(number: str, group: Group) -> str:
    """`wa.me/<number>?text=DAFTAR%20<code>`: opening it starts a chat with the bot's number,
    with "DAFTAR <code>" written for the person to send (WhatsApp has no start parameter)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return f"https://wa.me/{digits}?text={quote(f'{SIGN_UP_WORD} {group.join_code}')}"


def typed_join_code(text: str) -> tuple[str, str] | None:
    """("daftar", "BTG7K2") from "DAFTAR BTG7K2", ("", "BTG7K2") from "btg 7k2"; None if the
    message cannot be a join code, with or without a word before it."""
    first, _, rest = text.strip().partition(" ")
    word = first.strip(":#-").lower()
    if word not in SIGN_UP_WORDS:
        word, rest = "", text.strip()
    if not _CODE_CHARS.match(rest.strip(" :#-")):
        return None
    code = normalise_join_code(rest)
    return (word, code) if len(code) == JOIN_CODE_LENGTH else None
