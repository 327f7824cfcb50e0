"""What the delivery job needs from a channel: a sender, and the errors it may raise.

Each channel adapter implements `Sender` and translates its platform's errors into these, so the
delivery job decides retries, back-off and unreachability the same way for every channel.
"""

from __future__ import annotations

from typing import Protocol

from bot.base.models import Channel, Reply


class Sender(Protocol):
    channel: Channel

    async def send(self, recipient: str, reply: Reply) -> str | None:
        """Deliver `reply` to the platform id `recipient`, or raise a `DeliveryError`.

        Returns the platform's id of the (last) message sent, where there is one, so a later
        reply can edit it (`Reply.replaces`)."""


class DeliveryError(Exception):
    """Base class: the message was not delivered."""


class RetryLater(DeliveryError):
    """The platform asked us to slow down for `seconds` (Telegram 429, WhatsApp 130429)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited, retry after {seconds} s")
        self.seconds = seconds


class Unreachable(DeliveryError):
    """The person blocked the bot, left the platform, or the id is not a valid recipient."""


class Moved(DeliveryError):
    """The chat has a new id (a Telegram group that became a supergroup): send there instead."""

    def __init__(self, new_platform_id: str) -> None:
        super().__init__(f"the chat moved to {new_platform_id}")
        self.new_platform_id = new_platform_id


class NeedsTemplate(DeliveryError):
    """The platform only takes a pre-approved template now (WhatsApp 131047: the person's
    24-hour window is closed)."""


class TemporaryFailure(DeliveryError):
    """Timeouts, network errors, server errors: worth retrying later."""


class PermanentFailure(DeliveryError):
    """The message itself was refused (bad request): retrying will not help."""
