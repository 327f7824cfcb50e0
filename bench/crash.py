"""Crash benchmark (issue 11, item 3): kill -9 the bot half way through a broadcast to 20,000
people, restart it, and count what each recipient received.

The real bot (`posukk run`, a child process, rate limit lifted) delivers to the fake Bot API
server in this process, which records every message. After the kill, the database says which
rows were in flight: claimed by the dead process but not marked sent. The restarted bot sends
the rest at once and those rows again when their lease runs out; a row whose message had
already reached the server is then sent twice, which is the only way to a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.live import (
    LIFTED,
    Deliveries,
    Watch,
    database_path,
    fake_telegram,
    recipient_chats,
    running_bot,
    seed,
    send_broadcast,
    to_officer,
)
from bench.results import Figure, report

RECIPIENTS = 20_000
KILL_AT = RECIPIENTS // 2
"""Messages received when the bot is killed."""
FINISH_WITHIN = 600.0


def in_flight(data_dir: Path) -> set[int]:
    """Chat ids of the broadcast rows the dead process claimed and never marked sent."""
    with contextlib.closing(sqlite3.connect(database_path(data_dir))) as db:
        rows = db.execute(
            "SELECT users.platform_id FROM outbox JOIN users ON users.id = outbox.user_id"
            " WHERE outbox.broadcast_id IS NOT NULL AND outbox.status = 'pending'"
            " AND outbox.claimed_until IS NOT NULL"
        ).fetchall()
    return {int(platform_id) for (platform_id,) in rows}


async def main() -> None:
    """Seed, broadcast, kill, restart, count."""
    with tempfile.TemporaryDirectory(prefix="posukk-bench-") as tmp:
        data_dir = Path(tmp)
        await seed(data_dir, RECIPIENTS)
        async with fake_telegram() as server:
            deliveries = Deliveries(server)
            async with running_bot(data_dir, server, LIFTED) as bot:
                await send_broadcast(server)
                await deliveries.wait_for(KILL_AT, within=FINISH_WITHIN)
                await bot.kill()
            killed_at = time.monotonic()
            deliveries.update()
            received_at_kill = set(deliveries.per_chat)
            claimed = in_flight(data_dir)
            reached = claimed & received_at_kill
            watch = Watch(server)
            restarting = time.monotonic()
            async with running_bot(data_dir, server, LIFTED) as bot:
                restarted = time.monotonic() - restarting
                await watch.until(to_officer("Siaran sudah selesai"), within=FINISH_WITHIN)
                finished = time.monotonic() - killed_at
                await bot.stop()
            deliveries.update()
    counts = [deliveries.per_chat.get(chat, 0) for chat in recipient_chats(RECIPIENTS)]
    lost = sum(1 for count in counts if count == 0)
    duplicated = sum(count - 1 for count in counts if count > 1)
    figures = [
        Figure("recipients", RECIPIENTS, "people"),
        Figure("received before the kill", len(received_at_kill), "people"),
        Figure("in flight at the kill (claimed, not sent)", len(claimed), "msgs"),
        Figure("  of which reached the server", len(reached), "msgs"),
        Figure("lost", lost, "msgs", "0", lost == 0),
        Figure("duplicated", duplicated, "msgs", "<= in flight", duplicated <= len(claimed)),
        Figure("restart until it polls again", restarted, "s"),
        Figure("kill until the broadcast is done", finished, "s"),
    ]
    details: dict[str, object] = {
        "kill_at_received": KILL_AT,
        "duplicated_recipients_reached_before_kill": len(
            {chat for chat, count in deliveries.per_chat.items() if count > 1} & reached
        ),
        "settings": LIFTED,
    }
    report("crash", figures, details)


if __name__ == "__main__":
    asyncio.run(main())
