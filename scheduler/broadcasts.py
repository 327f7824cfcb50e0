"""Broadcasts on their way: start the due ones, queue recipients in batches, report, finish.

Each batch of recipients is queued in its own short transaction, so people writing to the bot
are answered between batches; a crash leaves `queued_through` at the last committed batch, and
the outbox's dedupe key keeps a re-queued recipient to one row. The author hears how it goes in
one progress message, updated in place where the platform allows, and gets a final report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Collection
from pathlib import Path

from bot.base import keys
from bot.base.models import Channel, Reply
from bot.base.texts import Texts
from bot.core.notify import notify, post_to_group_chats
from bot.domain.audience import Audience, group_chats, resolve
from bot.domain.broadcast_message import (
    CONTROL_ACTIONS,
    CONTROLS_OPEN_FOR,
    REPLY_ACTION,
    control_token,
    controls,
    recipient_messages,
    tally_text,
)
from bot.storage.broadcasts import Broadcast, Tally
from bot.storage.database import Database, UnitOfWork

log = logging.getLogger(__name__)

BATCH = 200
"""Recipients queued per transaction: 4 ms of the database at 100,000 (500 took 9 ms)."""
PROGRESS_EVERY_PERCENT = 10
PROGRESS_MIN_INTERVAL = dt.timedelta(minutes=1)
REPLIES_OPEN_FOR = dt.timedelta(days=14)
"""How long recipients can answer a broadcast with its button."""


async def advance_broadcasts(
    database: Database,
    texts: Texts,
    data_dir: Path,
    now: dt.datetime,
    channels: Collection[Channel],
    *,
    batch: int = BATCH,
) -> int:
    """Move every open broadcast forward; returns how many recipients were queued.

    `channels` are the chat apps this process delivers to; recipients on others are counted
    as unreachable rather than left waiting forever."""
    async with database.unit_of_work() as uow:
        open_broadcasts = await uow.broadcasts.open()
    queued = 0
    for broadcast in open_broadcasts:
        if broadcast.status == "scheduled":
            if broadcast.send_at > now:
                continue
            async with database.unit_of_work() as uow:
                await uow.broadcasts.set_status(
                    broadcast.id, "sending", now, expected=["scheduled"]
                )
        if not broadcast.queued_all:
            queued += await _queue_recipients(
                database, texts, data_dir, broadcast.id, now, channels, batch
            )
        await _report(database, texts, broadcast.id, now)
    return queued


async def _queue_recipients(
    database: Database,
    texts: Texts,
    data_dir: Path,
    broadcast_id: int,
    now: dt.datetime,
    channels: Collection[Channel],
    batch: int,
) -> int:
    queued = 0
    async with database.unit_of_work() as uow:
        broadcast = await uow.broadcasts.get(broadcast_id)
        assert broadcast is not None
        author = await uow.users.get(broadcast.author_id)
        assert author is not None
        audience = Audience.model_validate(broadcast.audience)
        groups, recipients = await resolve(uow, author.id, audience)
        chats = await group_chats(uow, groups, audience)
        photo = str(data_dir / broadcast.photo) if broadcast.photo else None
        messages = await recipient_messages(uow, texts, author, broadcast.text, photo, broadcast.id)
    payloads = {language: reply.model_dump_json() for language, reply in messages.items()}
    while True:
        async with database.unit_of_work() as uow:
            current = await uow.broadcasts.get(broadcast_id)
            if current is None or current.queued_all or current.status not in ("sending", "paused"):
                return queued
            if current.queued_through == 0:  # with the first batch, once
                queued += await post_to_group_chats(
                    uow,
                    chats,
                    lambda language: messages[language].model_copy(update={"choices": ()}),
                    kind="broadcast",
                    dedupe_key=keys.broadcast(broadcast_id),
                    now=now,
                    broadcast_id=broadcast_id,
                )
            added = await uow.broadcasts.queue_batch(
                current,
                recipients,
                payloads,
                batch=batch,
                now=now,
                reply_token=control_token(broadcast_id, REPLY_ACTION),
                reply_valid_until=now + REPLIES_OPEN_FOR,
                channels=[channel.value for channel in channels],
            )
        queued += added
        await asyncio.sleep(0)  # let people writing in have the database between batches


async def _report(database: Database, texts: Texts, broadcast_id: int, now: dt.datetime) -> None:
    async with database.unit_of_work() as uow:
        broadcast = await uow.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.status not in ("sending", "paused"):
            return
        if not broadcast.queued_all:
            return
        recent = broadcast.progress_at and now - broadcast.progress_at < PROGRESS_MIN_INTERVAL
        if recent and await uow.broadcasts.has_pending(broadcast_id):
            return  # neither done nor due for news: no tally (50 ms a time at 100,000 rows)
        tally = await uow.broadcasts.tally(broadcast_id)
        if broadcast.status == "sending" and tally.finished:
            await uow.broadcasts.set_status(broadcast_id, "done", now, expected=["sending"])
            finished = await uow.broadcasts.get(broadcast_id)
            assert finished is not None
            await _final_report(uow, texts, finished, tally, now)
            log.info("broadcast %s done: %s sent of %s", broadcast_id, tally.sent, tally.total)
            return
        step = (tally.done * 100 // tally.total) // PROGRESS_EVERY_PERCENT if tally.total else 0
        first = broadcast.progress_count == 0
        if first or (step > broadcast.progress_step and not recent):
            await _progress(uow, texts, broadcast, tally, now, step)


async def _progress(
    uow: UnitOfWork,
    texts: Texts,
    broadcast: Broadcast,
    tally: Tally,
    now: dt.datetime,
    step: int,
) -> None:
    """Update the author's one progress message: rewrite it if still unsent, else edit it."""
    author = await uow.users.get(broadcast.author_id)
    if author is None:
        return
    reply = Reply(
        key="broadcast.tally",
        text=tally_text(texts, author.language, broadcast, tally),
        choices=controls(texts, author.language, broadcast),
        language=author.language,
    )
    row = broadcast.progress_row
    if row is None or not await uow.outbox.replace_unsent(row, reply.model_dump_json(), now):
        if row is not None:
            reply = reply.model_copy(update={"replaces": await uow.outbox.platform_message_id(row)})
        key = keys.recipient_key(
            keys.broadcast(broadcast.id, f"progress:{broadcast.progress_count + 1}"), author.id
        )
        await uow.outbox.enqueue(
            user_id=author.id,
            kind="broadcast_progress",
            payload=reply.model_dump_json(),
            dedupe_key=key,
            now=now,
        )
        row = await uow.outbox.id_of(key)
    tokens = [control_token(broadcast.id, action) for action in CONTROL_ACTIONS]
    await uow.offers.add(author.id, tokens, now + CONTROLS_OPEN_FOR)
    await uow.broadcasts.record_progress(broadcast.id, step, now, row)


async def _final_report(
    uow: UnitOfWork, texts: Texts, broadcast: Broadcast, tally: Tally, now: dt.datetime
) -> None:
    """A new message (so the author is notified), or the progress message if still unsent."""
    author = await uow.users.get(broadcast.author_id)
    if author is None:
        return
    params = {"tally": tally_text(texts, author.language, broadcast, tally)}
    if broadcast.progress_row is not None:
        text = texts.get(author.language, "broadcast.finished", **params)
        payload = Reply(key="broadcast.finished", text=text).model_dump_json()
        if await uow.outbox.replace_unsent(broadcast.progress_row, payload, now):
            return
    await notify(
        uow,
        texts,
        author,
        kind="broadcast_report",
        key="broadcast.finished",
        dedupe_key=keys.broadcast(broadcast.id, "report"),
        now=now,
        params=params,
    )
