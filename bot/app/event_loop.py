"""The bot's event loop: uvloop where it is installed (Linux and macOS), else asyncio's own.

uvloop runs the loop's machinery and its sockets in C: the bot's one event loop carries every
answer and every delivery, and on a flat-out broadcast it is what limits the rate
(`python -m bench.broadcast`). uvloop has no Windows build, so there the bot runs on asyncio's
loop, which behaves the same, only slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the bot's event loop (for `asyncio.Runner`)."""
    try:
        import uvloop
    except ImportError:  # not installed on Windows (no build there)
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """`uvloop` or `asyncio`, for the start-up log."""
    return type(loop).__module__.partition(".")[0]
