"""One `posukk run` on SQLite, one on PostgreSQL, two on PostgreSQL behind a load balancer:
through the real Telegram webhook path (issue 23).

Each set-up gets a fresh database with the demo data and 9,799 Telegram members, and the fake
Bot API of the tests (in this process) in front. The webhook updates go to the processes in
turn (`tests/channels/balanced.py`, as in `tests/channels/test_two_processes.py`):

1. **Conversations.** 200 people at once, each registering, asking for first aid and (one in
   four) filing a full incident report: 2,350 updates, one person's next only after the answer.
   Updates a second over the whole run; p50 / p99 of one update until its answer arrived.
2. **Broadcast ceiling.** The officer broadcasts to the regency (10,000 Telegram recipients)
   with the rate lifted: messages a second at the fake server, first to last.
3. **At the shared cap** (one and two processes on PostgreSQL): the same broadcast with
   `POSUKK_TELEGRAM_PER_SECOND=100` (a broadcast may use 80 of it) measured over its first
   `CAPPED_SECONDS`: the combined rate, the busiest second, and how the processes shared it.

PostgreSQL is started here, throwaway, with durability off (`tests/postgres.py`). Everything
(the server, the bot processes, the fake platform and this script) shares the machine's cores.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bench.results import Figure, percentile, report
from bot.base.settings import Settings
from content.knowledge import Knowledge
from tests.channels import balanced
from tests.channels.balanced import Balancer, Chats, act, busiest_second, converse
from tests.channels.conftest import OFFICER, seed_telegram_staff
from tests.conftest import RowCounter
from tests.fakes.telegram_api import TOKEN, FakeTelegram, FakeUser
from tests.postgres import running_server

PEOPLE = 200
REPORTERS = 50
SEEDED = 9_799
"""With the people and the kader: 10,000 Telegram recipients."""
FIRST_CHAT, PERSON_IDS = 100_000_000, 50_000
MESSAGE = "Besok ada cek kesehatan gratis di balai desa. Bawa KTP."
LIFTED = "1000000"
CAP = 100.0
CAPPED_SECONDS = 20.0


@dataclass(frozen=True)
class Result:
    updates_per_second: float
    p50_ms: float
    p99_ms: float
    broadcast_per_second: float
    busiest_second: int


def free_ports(count: int) -> list[int]:
    ports = []
    for _ in range(count):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    return ports


def settings_for(folder: Path, server: FakeTelegram, database_url: str | None) -> Settings:
    return Settings(
        data_dir=folder,
        database_url=database_url,
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=server.base_url,
        telegram_file_url=server.base_file_url,
    )


@contextmanager
def following(chats: Chats) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    task = loop.create_task(chats.follow())
    try:
        yield
    finally:
        task.cancel()


async def one_setup(
    folder: Path, database_url: str | None, processes: int, rate: str
) -> tuple[Result | None, dict[str, object]]:
    """Seed, start `processes`, converse (unless capped), broadcast; what was measured."""
    server = FakeTelegram()
    await server.start()
    try:
        settings = settings_for(folder, server, database_url)
        await seed_telegram_staff(settings)
        rows = RowCounter(settings.database)
        balanced.seed(rows, FIRST_CHAT, SEEDED, 0, "")
        chats = Chats(server, MESSAGE)
        ports = free_ports(processes)
        people = [FakeUser(PERSON_IDS + n, f"Pekerja {n}") for n in range(PEOPLE)]
        with following(chats):
            async with (
                aiohttp.ClientSession() as session,
                balanced.processes(settings, ports, POSUKK_TELEGRAM_PER_SECOND=rate),
            ):
                balancer = Balancer(session, ports)
                await balancer.until_listening()
                result: Result | None = None
                latencies: list[float] = []
                took = 0.0
                if rate == LIFTED:
                    began = time.monotonic()
                    for found in await asyncio.gather(
                        *(
                            converse(server, chats, balancer, person,
                                     balanced.script(n, report=n < REPORTERS))
                            for n, person in enumerate(people)
                        )
                    ):  # fmt: skip
                        latencies += found
                    took = time.monotonic() - began
                for step in balanced.broadcast(MESSAGE):
                    await act(server, chats, balancer, OFFICER, step)
                if rate == LIFTED:
                    expected = SEEDED + PEOPLE + 1
                    await server.wait_for(lambda: len(chats.broadcast_at) >= expected, 600)
                    first, last = min(chats.broadcast_at), max(chats.broadcast_at)
                    result = Result(
                        updates_per_second=len(latencies) / took,
                        p50_ms=percentile(latencies, 0.5) * 1000,
                        p99_ms=percentile(latencies, 0.99) * 1000,
                        broadcast_per_second=(len(chats.broadcast_at) - 1) / (last - first),
                        busiest_second=busiest_second(chats.broadcast_at),
                    )
                    return result, {}
                await server.wait_for(lambda: len(chats.broadcast_at) > 0, 60)
                start = min(chats.broadcast_at)
                await asyncio.sleep(CAPPED_SECONDS + 1)
                within = [at for at in chats.broadcast_at if at < start + CAPPED_SECONDS]
                shares = rows(
                    "SELECT claimed_by, COUNT(*) FROM outbox WHERE broadcast_id IS NOT NULL"
                    " AND status = 'sent' GROUP BY claimed_by"
                )
                return None, {
                    "combined_per_second": len(within) / CAPPED_SECONDS,
                    "busiest_second": busiest_second(within),
                    "sent_by_each_process": sorted(int(str(count)) for _, count in shares),
                }
    finally:
        await server.stop()


async def measure(setups: list[tuple[str, str | None, int, str]]) -> dict[str, object]:
    measured: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="posukk-bench-") as tmp:
        for name, url, processes, rate in setups:
            folder = Path(tmp) / name
            folder.mkdir()
            result, extra = await one_setup(folder, url, processes, rate)
            measured[name] = result.__dict__ if result else extra
            print(name, measured[name], flush=True)
    return measured


def main() -> int:
    load_before = os.getloadavg()
    Knowledge.load()  # trained once here, so the bots only read the cache
    with running_server() as pg:
        measured = asyncio.run(
            measure([
                ("sqlite", None, 1, LIFTED),
                ("postgresql", pg.database(), 1, LIFTED),
                ("postgresql_2_processes", pg.database(), 2, LIFTED),
                ("postgresql_1_process_at_the_cap", pg.database(), 1, str(CAP)),
                ("postgresql_2_processes_at_the_cap", pg.database(), 2, str(CAP)),
            ])
        )  # fmt: skip
    figures = []
    base = measured["sqlite"]
    assert isinstance(base, dict)
    for name in ("sqlite", "postgresql", "postgresql_2_processes"):
        row = measured[name]
        assert isinstance(row, dict)
        figures += [
            Figure(f"{name}: updates/s", row["updates_per_second"], "upd/s"),
            Figure(f"{name}: p50", row["p50_ms"], "ms"),
            Figure(f"{name}: p99", row["p99_ms"], "ms"),
            Figure(f"{name}: broadcast, lifted", row["broadcast_per_second"], "msg/s"),
            Figure(
                f"{name} / sqlite: updates/s",
                row["updates_per_second"] / base["updates_per_second"], "x",
            ),
            Figure(
                f"{name} / sqlite: broadcast",
                row["broadcast_per_second"] / base["broadcast_per_second"], "x",
            ),
        ]  # fmt: skip
    for processes, name in ((1, "1_process"), (2, "2_processes")):
        capped = measured[f"postgresql_{name}_at_the_cap"]
        assert isinstance(capped, dict)
        figures += [
            Figure(f"{processes} at 100/s (broadcast share 80/s): combined",
                   capped["combined_per_second"], "msg/s", "<= 80",
                   capped["combined_per_second"] <= 80 * 1.05),
            Figure("  busiest second", capped["busiest_second"], "msgs", "<= 84",
                   capped["busiest_second"] <= 84),
        ]  # fmt: skip
    details: dict[str, object] = {
        "people": PEOPLE,
        "reporters": REPORTERS,
        "recipients": SEEDED + PEOPLE + 1,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "cores": os.cpu_count(),
        "measured": measured,
    }
    report("processes", figures, details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
