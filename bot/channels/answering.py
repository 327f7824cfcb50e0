"""Answering a person at once, the same way on every chat app."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.base.models import Reply, Unsent
from bot.core.engine import Engine

log = logging.getLogger(__name__)


async def deliver(
    engine: Engine,
    unsent: Unsent,
    send: Callable[[Reply], Awaitable[object]],
    deferrable: tuple[type[Exception], ...],
) -> None:
    """Send the replies straight away. From the first one the platform refuses for the moment
    (`deferrable`: a rate limit, the network), the rest of the turn goes to the outbox, urgent,
    so it arrives a little late rather than never."""
    for index, reply in enumerate(unsent.replies):
        try:
            await send(reply)
        except deferrable as error:
            log.warning("reply deferred to the outbox: %s", type(error).__name__)
            await engine.queue_replies(unsent, index)
            return
