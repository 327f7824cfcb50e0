"""A sender that records deliveries and raises the errors a test scripts, per recipient."""

from __future__ import annotations

from collections.abc import Callable

from bot.base.models import Channel, Reply
from bot.core.outbound import DeliveryError


class ScriptedSender:
    """Records deliveries; `script` decides, per recipient, which error (if any) to raise."""

    channel = Channel.TERMINAL

    def __init__(self, script: Callable[[str, int], DeliveryError | None] | None = None) -> None:
        self.script = script or (lambda recipient, attempt: None)
        self.delivered: list[tuple[str, str]] = []
        self.replies: list[tuple[str, Reply]] = []
        self.attempts: dict[str, int] = {}

    async def send(self, recipient: str, reply: Reply) -> str | None:
        attempt = self.attempts.get(recipient, 0) + 1
        self.attempts[recipient] = attempt
        error = self.script(recipient, attempt)
        if error is not None:
            raise error
        self.delivered.append((recipient, reply.text))
        self.replies.append((recipient, reply))
        return f"m{len(self.replies)}"
