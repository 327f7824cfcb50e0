"""Broadcast benchmark (issue 11, item 2): a broadcast to 100,000 people through the outbox.

The real bot (`posukk run`, a child process) delivers to the fake Bot API server of the tests
(this process). One database, three runs of the bot:

1. **Lifted** (its rate limit out of the way) for `LIFTED_SECONDS`: messages a second, and CPU
   per message, against the framework's floor (bare `send_message` calls through
   python-telegram-bot to the same server, before and after the run); resident memory; and the
   reply time of workers asking for first aid during the broadcast, against the same workers
   asking the idle bot just before.
2. **Capped** (default settings) for `CAPPED_SECONDS`, with a second broadcast to the same
   people queued straight into the database (the lifted run may have delivered the first one
   whole): the achieved rate against the broadcast cap, `telegram_per_second` x `bulk_share`
   (the rest of the rate is kept for replies to people writing in).
3. **Capped, slow answers**: as 2, with the server taking `ANSWER_TIME` to answer each message,
   as a real Bot API far away does.

Each broadcast is queued to all 100,000 recipients; the runs deliver what fits in their time. Quiet
hours are off in all three, so that the benchmark gives the same figures at any hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from bench.live import (
    LIFTED,
    Deliveries,
    Seeded,
    ask_first_aid,
    database_path,
    fake_telegram,
    floor,
    queue_broadcast,
    running_bot,
    seed,
    send_broadcast,
)
from bench.results import Figure, percentile, report
from bot.base.clock import to_db, utc_now
from bot.base.settings import Settings
from scheduler.pacing import RateLimit

RECIPIENTS = 100_000
WORKERS = 400
ASK_EVERY = 0.05
"""Seconds between two workers' questions, on the idle bot and during the broadcast alike."""
LIFTED_SECONDS = 60.0
CAPPED_SECONDS = 20.0
SECOND_BROADCAST = 1_000
"""The id of the broadcast the capped runs deliver (the officer's is 1)."""
ANSWER_TIME = 0.1
"""Seconds the server takes to answer in run 3: a round trip to the real Bot API, not 1 ms."""
FLOOR_MESSAGES = 3_000
OWN_COST_GOAL_MS = 0.5
"""The bot's CPU per message beyond the framework's own: at most 0.5 ms, so that one core
could take 2,000 messages a second if sending cost nothing."""
RSS_LIMIT_MB = 200.0
FLAT_MB = 10.0
"""Resident memory is flat if it grows by less than this from the first message to the last."""


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99 and max in milliseconds."""
    shares = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "max": 1.0}
    return {name: round(percentile(seconds, share) * 1000, 1) for name, share in shares.items()}


async def lifted(data_dir: Path, seeded: Seeded) -> tuple[list[Figure], dict[str, object]]:
    """Run 1: the floor, the idle bot, then the broadcast with the rate limit lifted."""
    rss: dict[str, float] = {}
    async with fake_telegram() as server:
        floors = [await floor(server, FLOOR_MESSAGES)]
        deliveries = Deliveries(server)
        async with running_bot(data_dir, server, LIFTED) as bot:
            idle = await ask_first_aid(server, seeded.workers, ASK_EVERY)
            rss["idle"] = bot.rss_mb()
            sent_at = time.monotonic()
            await send_broadcast(server)

            def sample() -> None:
                rss["peak"] = max(rss.get("peak", 0.0), bot.rss_mb())

            await deliveries.wait_for(1, within=60, on_progress=sample)
            rss["start"], cpu_start = bot.rss_mb(), bot.cpu_seconds()
            busy = asyncio.create_task(ask_first_aid(server, seeded.workers, ASK_EVERY))
            for moment in ("middle", "end"):
                with contextlib.suppress(TimeoutError):
                    await deliveries.wait_for(seeded.recipients, LIFTED_SECONDS / 2, sample)
                rss[moment] = bot.rss_mb()
            cpu = (bot.cpu_seconds() - cpu_start) / (len(deliveries.times) - 1)
            during = await busy
            await bot.stop()
        floors.append(await floor(server, FLOOR_MESSAGES))
    rate = deliveries.rate()
    floor_rate = sum(pace.rate for pace in floors) / len(floors)
    floor_cpu = sum(pace.cpu_per_message for pace in floors) / len(floors)
    own_ms = (cpu - floor_cpu) * 1000
    idle_p99, busy_p99 = percentile(idle, 0.99), percentile(during, 0.99)
    growth = rss["end"] - rss["start"]
    figures = [
        Figure("floor: bare send_message", floor_rate, "msg/s"),
        Figure("floor: CPU per message", floor_cpu * 1000, "ms"),
        Figure("lifted: bot rate", rate, "msg/s", ">= 2000", rate >= 2000),
        Figure("lifted: bot rate / floor", rate / floor_rate, "x"),
        Figure("lifted: bot CPU per message", cpu * 1000, "ms"),
        Figure("lifted: own CPU per message", own_ms, "ms", f"<= {OWN_COST_GOAL_MS}",
               own_ms <= OWN_COST_GOAL_MS),
        Figure("lifted: RSS at first message", rss["start"], "MB"),
        Figure("lifted: RSS half way", rss["middle"], "MB"),
        Figure("lifted: RSS at the end", rss["end"], "MB"),
        Figure("lifted: RSS peak", rss["peak"], "MB", f"< {RSS_LIMIT_MB:.0f}",
               rss["peak"] < RSS_LIMIT_MB),
        Figure("lifted: RSS growth start to end", growth, "MB", f"< {FLAT_MB:.0f} (flat)",
               growth < FLAT_MB),
        Figure("worker reply p99, idle bot", idle_p99 * 1000, "ms"),
        Figure("worker reply p99, during broadcast", busy_p99 * 1000, "ms"),
        Figure("worker reply p99 busy / idle", busy_p99 / idle_p99, "x", "<= 1.5",
               busy_p99 / idle_p99 <= 1.5),
    ]  # fmt: skip
    details: dict[str, object] = {
        "recipients_queued": seeded.recipients,
        "delivered_in_window": len(deliveries.times),
        "window_seconds": LIFTED_SECONDS,
        "first_message_after_send_seconds": round(deliveries.times[0] - sent_at, 2),
        "most_messages_to_one_recipient": max(deliveries.per_chat.values()),
        "floor_runs": [asdict(pace) for pace in floors],
        "floor_messages_each": FLOOR_MESSAGES,
        "rss_mb": {name: round(value, 1) for name, value in rss.items()},
        "worker_questions": len(seeded.workers),
        "question_every_seconds": ASK_EVERY,
        "worker_reply_ms_idle": latency_summary(idle),
        "worker_reply_ms_busy": latency_summary(during),
    }
    return figures, details


async def capped(data_dir: Path, answer_time: float) -> float:
    """Messages a second the bot achieves with the default settings over `CAPPED_SECONDS`,
    going on with the second broadcast, with the server taking `answer_time` to answer each
    one."""
    async with fake_telegram() as server:
        server.delays["sendMessage"] = answer_time
        deliveries = Deliveries(server)
        async with running_bot(data_dir, server, {}) as bot:
            await deliveries.wait_for(1, within=60)
            await asyncio.sleep(CAPPED_SECONDS)
            deliveries.update()
            await bot.stop()
    return deliveries.rate()


async def main() -> None:
    """Seed, run the bot three times, report."""
    per_second = Settings.model_construct().telegram_per_second  # the default
    bulk = RateLimit(per_second)
    cap = per_second * bulk.bulk_share
    with tempfile.TemporaryDirectory(prefix="posukk-bench-") as tmp:
        data_dir = Path(tmp)
        seeded = await seed(data_dir, RECIPIENTS, WORKERS)
        figures, details = await lifted(data_dir, seeded)
        with contextlib.closing(sqlite3.connect(database_path(data_dir))) as db, db:
            queue_broadcast(db, SECOND_BROADCAST, range(2, 2 + RECIPIENTS), to_db(utc_now()))
        local = await capped(data_dir, 0.0)
        remote = await capped(data_dir, ANSWER_TIME)
    figures += [
        Figure("capped: achieved rate", local, "msg/s"),
        Figure("capped: achieved / broadcast cap", local / cap, "x", ">= 0.95",
               local / cap >= 0.95),
        Figure(f"capped, {ANSWER_TIME * 1000:.0f} ms answers: achieved / cap", remote / cap, "x",
               ">= 0.95", remote / cap >= 0.95),
    ]  # fmt: skip
    details |= {
        "telegram_per_second": per_second,
        "bulk_share": bulk.bulk_share,
        "broadcast_cap_msg_s": cap,
        "capped_seconds": CAPPED_SECONDS,
        "capped_rate_msg_s": round(local, 2),
        "capped_remote_rate_msg_s": round(remote, 2),
        "answer_time_seconds": ANSWER_TIME,
    }
    report("broadcast", figures, details)


if __name__ == "__main__":
    asyncio.run(main())
