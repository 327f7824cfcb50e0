"""SQLite against PostgreSQL, and two processes on PostgreSQL (issue 23).

The engine and the outbox, without a chat platform in front: what the database costs and what
a second process adds. Two measurements, each run on SQLite (one process), on PostgreSQL (one
process) and on PostgreSQL with two processes (each its own pool, sharing the people or the
rows half and half):

1. **Conversations.** `PEOPLE` people at once, each registering (six messages) and then asking
   two first-aid questions and going back to the menu: `Engine.handle` per message, one person's
   next message only after the answer. Messages a second over the whole run and the latency of
   each message (p50, p99).
2. **Delivery ceiling.** `ROWS` queued messages claimed in batches of 50 with a lease and
   marked sent one transaction each, as the delivery job does, with no platform in between:
   rows a second, the most the outbox lets through.

PostgreSQL is started here, throwaway, as the test suite does (`tests/postgres.py`), with its
durability off (`fsync=off`): the figures are the work of the database and of the bot, not of
the disk. Everything (server, bot processes, this one) shares the machine's cores.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.results import Figure, percentile, report
from bot.app.demo import FISHERMEN_CODE, seed_demo
from bot.base import keys
from bot.base.clock import utc_now
from bot.base.models import Channel, Inbound
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.postgres import running_server

PEOPLE = 200
ROWS = 20_000
BATCH = 50
SCRIPT: tuple[tuple[str, str], ...] = (
    ("text", "/start"), ("choice", "lang:id"), ("choice", "consent:yes"), ("text", "Pak Uji"),
    ("choice", "phone:skip"), ("text", FISHERMEN_CODE),
    ("text", "tangan sy luka kena pisau"), ("text", "/menu"),
    ("text", "kaki terkilir waktu turun kapal"), ("text", "/menu"),
)  # fmt: skip


@dataclass(frozen=True)
class Part:
    """What one process measured: its own clock's start and end, and each message's time."""

    started: float
    ended: float
    latencies: list[float]
    count: int


async def _converse(target: str, people: range, data_dir: str) -> Part:
    database = await Database.open(target)
    try:
        knowledge = Knowledge.load()
        settings = Settings(data_dir=Path(data_dir), inbound_per_minute=1_000_000)
        engine = Engine(database, Texts.load(), settings, knowledge, CONVERSATIONS)
        latencies: list[float] = []

        async def person(n: int) -> None:
            for i, (kind, value) in enumerate(SCRIPT):
                inbound = Inbound.model_validate(
                    {"channel": Channel.TERMINAL, "user_ref": f"bench:{n}",
                     "message_id": f"{n}:{i}", "received_at": utc_now(), kind: value}
                )  # fmt: skip
                began = time.perf_counter()
                replies = await engine.handle(inbound)
                latencies.append(time.perf_counter() - began)
                assert replies, (n, i, value)

        started = time.time()
        await asyncio.gather(*(person(n) for n in people))
        return Part(started, time.time(), latencies, len(latencies))
    finally:
        await database.close()


async def _deliver(target: str, worker: int) -> Part:
    database = await Database.open(target)
    try:
        latencies: list[float] = []
        count = 0
        started = time.time()
        while True:
            now = utc_now()
            began = time.perf_counter()
            async with database.unit_of_work() as uow:
                claimed = await uow.outbox.claim(
                    Channel.TERMINAL, now, now + dt.timedelta(minutes=5), BATCH
                )
            if not claimed:
                break
            for message in claimed:
                async with database.unit_of_work() as uow:
                    await uow.outbox.mark_sent(message.id, now, f"{worker}:{message.id}")
            latencies.append(time.perf_counter() - began)
            count += len(claimed)
        return Part(started, time.time(), latencies, count)
    finally:
        await database.close()


def converse(target: str, first: int, last: int, data_dir: str) -> Part:
    return asyncio.run(_converse(target, range(first, last), data_dir))


def deliver(target: str, worker: int) -> Part:
    return asyncio.run(_deliver(target, worker))


async def _fresh(target: str) -> None:
    database = await Database.open(target)
    try:
        await seed_demo(database, utc_now())
    finally:
        await database.close()


async def _queue(target: str) -> None:
    database = await Database.open(target)
    try:
        async with database.unit_of_work() as uow:
            users = [u.id for u in await uow.users.all()]
        now = utc_now()
        for start in range(0, ROWS, 1_000):
            async with database.unit_of_work() as uow:
                for n in range(start, start + 1_000):
                    await uow.outbox.enqueue(
                        user_id=users[n % len(users)], kind="bench", payload='{"text": "x"}',
                        dedupe_key=keys.queued_reply("bench", str(n), 0), now=now,
                    )  # fmt: skip
    finally:
        await database.close()


def _run(
    pool: ProcessPoolExecutor, parts: Sequence[tuple[object, ...]], job: Callable[..., Part]
) -> Part:
    """Run `job` with each argument tuple in its own process; one Part for all of them."""
    futures = [pool.submit(job, *args) for args in parts]
    done: list[Part] = [future.result() for future in futures]
    return Part(
        min(p.started for p in done),
        max(p.ended for p in done),
        [latency for p in done for latency in p.latencies],
        sum(p.count for p in done),
    )


def measure(targets: dict[str, tuple[str, int]], folder: str) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    context = multiprocessing.get_context("spawn")
    for name, (target, processes) in targets.items():
        asyncio.run(_fresh(target))
        share = PEOPLE // processes
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            talk = _run(
                pool,
                [(target, k * share, (k + 1) * share, folder) for k in range(processes)],
                converse,
            )
            asyncio.run(_queue(target))
            sent = _run(pool, [(target, k) for k in range(processes)], deliver)
        # The conversations queued a few messages of their own (a kader told of each new
        # member): those go out too.
        assert sent.count >= ROWS, (name, sent.count)
        results[name] = {
            "messages_per_second": talk.count / (talk.ended - talk.started),
            "p50_ms": percentile(talk.latencies, 0.5) * 1000,
            "p99_ms": percentile(talk.latencies, 0.99) * 1000,
            "delivered_per_second": sent.count / (sent.ended - sent.started),
        }
        print(name, {k: round(v, 1) for k, v in results[name].items()}, flush=True)
    return results


def main() -> int:
    load_before = os.getloadavg()
    Knowledge.load()  # trained once here, so the processes below only read the cache
    with tempfile.TemporaryDirectory() as folder, running_server() as server:
        targets = {
            "sqlite": (str(Path(folder) / "bench.sqlite3"), 1),
            "postgresql": (server.database(), 1),
            "postgresql_2_processes": (server.database(), 2),
        }
        results = measure(targets, folder)
    base = results["sqlite"]
    figures = [
        Figure(f"{name}: {field}", value, unit)
        for name, row in results.items()
        for field, value, unit in (
            ("messages/s", row["messages_per_second"], "msg/s"),
            ("p50", row["p50_ms"], "ms"),
            ("p99", row["p99_ms"], "ms"),
            ("delivered/s", row["delivered_per_second"], "rows/s"),
        )
    ] + [
        Figure(f"{name} / sqlite: messages/s", row["messages_per_second"] /
               base["messages_per_second"], "x")
        for name, row in results.items() if name != "sqlite"
    ]  # fmt: skip
    details: dict[str, object] = {
        "people": PEOPLE,
        "messages_each": len(SCRIPT),
        "rows": ROWS,
        "batch": BATCH,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "results": results,
        "cores": os.cpu_count(),
    }
    report("databases", figures, details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
