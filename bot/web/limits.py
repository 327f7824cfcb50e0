"""How many login attempts one address may make: a link is 256 random bits, so guessing is
hopeless anyway, but a flood of attempts is refused before it reaches the database."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

ATTEMPTS = 10
WINDOW_SECONDS = 600.0
MAX_ADDRESSES = 10_000
"""Addresses remembered at most; the oldest are forgotten first (memory stays bounded)."""


class AttemptLimit:
    """At most `attempts` per address in any `window` seconds (in memory: a restart forgives)."""

    def __init__(
        self,
        attempts: int = ATTEMPTS,
        window: float = WINDOW_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._attempts = attempts
        self._window = window
        self._monotonic = monotonic
        self._seen: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        """Count an attempt from `address`; whether it may go ahead."""
        now = self._monotonic()
        times = self._seen.pop(address, None) or deque()
        while times and times[0] <= now - self._window:
            times.popleft()
        allowed = len(times) < self._attempts
        if allowed:
            times.append(now)
        self._seen[address] = times  # now the most recent key
        while len(self._seen) > MAX_ADDRESSES:
            del self._seen[next(iter(self._seen))]
        return allowed
