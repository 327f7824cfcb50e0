"""Which message is the newest in a chat, as this process has seen it, and how it looks now.

A tap on the newest message can be answered by editing that message (one call, one message on a
weak signal) without hiding anything the person has not scrolled past. Message ids in a private
chat grow, so the highest id seen in or sent to a chat is its newest message, unless another
process sent a newer one or a message came that this process never saw. Such a stale memory can
only put an answer above a newer message, never lose one; a chat not remembered (after a restart,
or pushed out by busier chats) counts as "not known to be the newest".
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

CHATS = 10_000
"""Chats remembered, the most recently active ones: a tap answered in place comes moments after
the message; an older one is answered as before. About 2 MB at most."""


class Pressed(enum.Enum):
    """Where a pressed message stands, as far as this process knows."""

    NEWEST = "newest"
    """The newest message in the chat, looking as the person saw it when they pressed."""
    CHANGED = "changed"
    """The newest message, changed by the bot since the person saw it (a second tap on a
    message already answered): editing it from what they saw would undo that change."""
    UNKNOWN = "unknown"
    """Not known to be the newest: an older message, or a chat not remembered."""


def look(text: str, tokens: Iterable[str]) -> int:
    """A fingerprint of a message's text and its buttons' data, as they look to the person
    (runs of white space count as one: the platform may trim the text's ends)."""
    return hash((" ".join(text.split()), tuple(tokens)))


class LatestMessages:
    """Per chat: the highest message id seen or sent, and the look the bot last gave it (None
    for a message the person sent). Bounded: the least recently active chats go first."""

    def __init__(self, capacity: int = CHATS) -> None:
        self.capacity = capacity
        self._newest: dict[int, tuple[int, int | None]] = {}

    def saw(self, chat_id: int, message_id: int, looks: int | None = None) -> None:
        """A new message in the chat: the person's (`looks` None) or the bot's."""
        known = self._newest.pop(chat_id, None)
        if known is not None and known[0] > message_id:
            self._newest[chat_id] = known  # one handled late: the newer one stays newest
        else:
            self._newest[chat_id] = (message_id, looks)
        if len(self._newest) > self.capacity:
            del self._newest[next(iter(self._newest))]

    def changed(self, chat_id: int, message_id: int, looks: int) -> None:
        """The bot edited a message so that it `looks` like this now."""
        known = self._newest.get(chat_id)
        if known is not None and known[0] == message_id:
            self._newest[chat_id] = (message_id, looks)

    def pressed(self, chat_id: int, message_id: int, looks: int) -> Pressed:
        """Where the message the person pressed, as they saw it (`looks`), stands."""
        known = self._newest.get(chat_id)
        if known is None or known[0] != message_id:
            return Pressed.UNKNOWN
        return Pressed.NEWEST if known[1] == looks else Pressed.CHANGED
