"""The "sent" marks of delivery, written as soon as each send is answered, together when
several are answered while one write runs (one transaction instead of dozens at high rates)."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.storage.database import Database
from bot.storage.records import SentMark


class SentMarks:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._waiting: list[tuple[SentMark, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def sent(self, message_id: int, at: dt.datetime, platform_message_id: str | None) -> None:
        """Mark a row sent; returns once the mark is committed."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((SentMark(message_id, at, platform_message_id), done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        await asyncio.shield(done)

    async def _write(self) -> None:
        """Write what waits, then what came meanwhile, until nothing does."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    async with self.database.unit_of_work() as uow:
                        await uow.outbox.mark_all_sent([mark for mark, _ in batch])
                except Exception as error:
                    for _, done in batch:
                        done.set_exception(error)
                else:
                    for _, done in batch:
                        done.set_result(None)
        finally:
            self._writer = None
