"""Delivery pace (issue 22, item 1): does a broadcast go out at the platform's allowed rate when
the platform takes 0, 100 or 300 ms to answer each message?

The real bot (`posukk run`, a child process) delivers a queued broadcast to the fake Bot API or
the fake WhatsApp Cloud API server (tests/fakes), which runs in this process and answers each
message after `answer` seconds. A broadcast may use `bulk_share` (80 %) of the channel's rate, so
its cap is 24/s on Telegram (30/s), 64/s on WhatsApp (80/s) and 800/s on a Telegram paid tier
(1,000/s). The rate is counted at the server over `MEASURE_SECONDS` from the first message.

Baseline, in the same run: the same bot with one send at a time (`in_flight` 1), which is how
delivery worked before sends overlapped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.live import database_path, queue_broadcast
from bench.results import Figure, report
from bot.base.clock import to_db, utc_now
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.consent import consent_version
from bot.storage.database import Database
from scheduler.pacing import RateLimit
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.fakes.whatsapp_api import APP_SECRET, PHONE_ID, VERIFY_TOKEN, FakeWhatsApp
from tests.fakes.whatsapp_api import TOKEN as WA_TOKEN

ANSWER_TIMES = (0.0, 0.1, 0.3)
MEASURE_SECONDS = 12.0
GOAL = 0.95
FIRST_CHAT = 100_000_000


@dataclass(frozen=True)
class Platform:
    """A channel and the rate it is configured for."""

    name: str
    channel: str
    per_second: float

    @property
    def cap(self) -> float:
        """What a broadcast may use of the rate."""
        return self.per_second * RateLimit(self.per_second).bulk_share

    def recipients(self) -> int:
        """Enough to keep the bot busy past the measured window."""
        return int(self.cap * (MEASURE_SECONDS + 10) * 1.2) + 200


PLATFORMS = (
    Platform("Telegram", "telegram", 30.0),
    Platform("WhatsApp", "whatsapp", 80.0),
    Platform("Telegram paid tier", "telegram", 1000.0),
)


def recipient_id(platform: Platform, n: int) -> str:
    """A Telegram chat id, or a WhatsApp business-scoped user id."""
    return f"ID.{FIRST_CHAT + n}" if platform.channel == "whatsapp" else str(FIRST_CHAT + n)


async def seed(data_dir: Path, platform: Platform) -> int:
    """Recipients on the platform, seen just now, and a broadcast to them all queued in the
    outbox (as `advance_broadcasts` queues it); returns how many."""
    db_path = database_path(data_dir)
    database = await Database.open(db_path)  # the schema, by the bot's own migrations
    await database.close()
    count = platform.recipients()
    stamp = to_db(utc_now())
    consent = consent_version(Texts.load(), Settings.model_construct())
    with contextlib.closing(sqlite3.connect(db_path)) as db, db:
        db.execute(
            "INSERT INTO pos_groups (id, name, sector, village, district, regency,"
            " puskesmas_name, timezone, join_code, created_at) VALUES (1, 'Kelompok Uji',"
            " 'nelayan', 'Desa Uji', 'Uji', 'Kabupaten Uji', 'Puskesmas Uji', 'Asia/Makassar',"
            " 'UJI00001', ?)",
            (stamp,),
        )
        db.executemany(
            "INSERT INTO users (id, channel, platform_id, name, language, consent_version,"
            " consent_at, created_at, last_seen_at) VALUES (?, ?, ?, ?, 'id', ?, ?, ?, ?)",
            [
                (n + 1, platform.channel, recipient_id(platform, n), f"Pekerja {n}", consent,
                 stamp, stamp, stamp)
                for n in range(count)
            ],
        )  # fmt: skip
        db.executemany(
            "INSERT INTO memberships (user_id, group_id, joined_at) VALUES (?, 1, ?)",
            [(n + 1, stamp) for n in range(count)],
        )
        queue_broadcast(db, 1, range(1, count + 1), stamp)
    return count


class Server:
    """One fake platform server; `arrivals()` are the moments it accepted each message."""

    def __init__(self, platform: Platform, answer: float) -> None:
        self.platform = platform
        self.telegram = FakeTelegram() if platform.channel == "telegram" else None
        self.whatsapp = FakeWhatsApp() if platform.channel == "whatsapp" else None
        if self.telegram is not None:
            self.telegram.delays["sendMessage"] = answer
        if self.whatsapp is not None:
            self.whatsapp.delay = answer

    async def start(self) -> None:
        if self.telegram is not None:
            await self.telegram.start()
        if self.whatsapp is not None:
            await self.whatsapp.start()

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()
        if self.whatsapp is not None:
            await self.whatsapp.stop()

    def arrivals(self) -> list[float]:
        if self.telegram is not None:
            return [call.received for call in self.telegram.sent(method="sendMessage")]
        assert self.whatsapp is not None
        return [message.at - self.whatsapp.delay for message in self.whatsapp.messages]

    def settings(self, port: int) -> dict[str, str]:
        """The bot's settings to reach this server."""
        if self.telegram is not None:
            return {
                "telegram_token": TOKEN,
                "telegram_api_url": self.telegram.base_url,
                "telegram_file_url": self.telegram.base_file_url,
                "telegram_poll_timeout": "1",
                "telegram_per_second": str(self.platform.per_second),
            }
        assert self.whatsapp is not None
        return {
            "whatsapp_phone_id": PHONE_ID,
            "whatsapp_token": WA_TOKEN,
            "whatsapp_verify_token": VERIFY_TOKEN,
            "whatsapp_app_secret": APP_SECRET,
            "whatsapp_api_url": self.whatsapp.base_url,
            "whatsapp_webhook_listen": "127.0.0.1",
            "whatsapp_webhook_port": str(port),
            "whatsapp_per_second": str(self.platform.per_second),
        }


@contextlib.asynccontextmanager
async def bot_process(data_dir: Path, settings: dict[str, str]) -> AsyncIterator[None]:
    """`posukk run` with these settings (no quiet hours), stopped with SIGTERM at the end."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("POSUKK_")}
    env |= {
        f"POSUKK_{name.upper()}": value
        for name, value in (
            {"data_dir": str(data_dir), "quiet_hours": "00:00-00:00"} | settings
        ).items()
    }
    with (data_dir / "bot.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.app.cli", "run", env=env, cwd=data_dir,
            stdout=log, stderr=log,
        )  # fmt: skip
    try:
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
                await process.wait()


async def wait_for(condition: Callable[[], bool], within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not start sending")
        await asyncio.sleep(0.05)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def achieved(platform: Platform, answer: float, in_flight: int | None) -> float:
    """Broadcast messages a second the bot reached, from its first message on."""
    with tempfile.TemporaryDirectory(prefix="posukk-bench-") as tmp:
        data_dir = Path(tmp)
        await seed(data_dir, platform)
        server = Server(platform, answer)
        await server.start()
        try:
            settings = server.settings(free_port())
            if in_flight is not None:
                settings[f"{platform.channel}_in_flight"] = str(in_flight)
            async with bot_process(data_dir, settings):
                await wait_for(lambda: bool(server.arrivals()), within=120)
                first = min(server.arrivals())
                await asyncio.sleep(MEASURE_SECONDS - (time.monotonic() - first))
                moments = [m for m in server.arrivals() if m <= first + MEASURE_SECONDS]
        finally:
            await server.stop()
    return (len(moments) - 1) / (max(moments) - first)


async def main() -> None:
    """Each platform at each answer time; the baseline (one send at a time) on Telegram."""
    figures: list[Figure] = []
    runs: list[dict[str, object]] = []

    async def run(platform: Platform, answer: float, in_flight: int | None) -> float:
        rate = await achieved(platform, answer, in_flight)
        window = in_flight or RateLimit(platform.per_second).window()
        runs.append({"platform": platform.name, "per_second": platform.per_second,
                     "cap": platform.cap, "answer_s": answer, "in_flight": window,
                     "rate": round(rate, 2)})  # fmt: skip
        print(f"{platform.name}, {answer}s, {window} in flight: {rate:.1f}/s", file=sys.stderr)
        return rate / platform.cap

    for platform in PLATFORMS:
        for answer in ANSWER_TIMES:
            share = await run(platform, answer, None)
            figures.append(
                Figure(f"{platform.name} ({platform.cap:.0f}/s), {answer * 1000:.0f} ms answers",
                       share, "x cap", f">= {GOAL}", share >= GOAL)
            )  # fmt: skip
            if platform is not PLATFORMS[1] and (answer > 0 or platform.per_second > 100):
                alone = await run(platform, answer, 1)
                figures.append(Figure("  baseline: one send at a time", alone, "x cap"))
    report("pace", figures, {"measure_seconds": MEASURE_SECONDS, "runs": runs})


if __name__ == "__main__":
    asyncio.run(main())
