"""The live bot the broadcast and crash benchmarks drive: the real `posukk run` in a child
process, talking HTTP to the fake Telegram Bot API server of the tests (tests/fakes/telegram_api.py)
running in the benchmark's own process. Two processes, as on a real machine: the bot's CPU time is
its own, and its resident memory is the bot's alone.

The database is seeded with direct SQL (fast); the broadcast itself is written by an officer in
Telegram (/siaran, text, no photo, Send), so the bot saves, queues and delivers it as in use.

`python -m bench.live floor URL COUNT` is the framework's floor: COUNT bare `send_message` calls
through python-telegram-bot over the bot's HTTP client (aiohttp) and event loop (uvloop), one at
a time, in a process of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.app.event_loop import loop_factory
from bot.base import keys
from bot.base.clock import to_db, utc_now
from bot.base.models import Choice, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.consent import consent_version
from bot.storage.database import Database
from tests.fakes.telegram_api import TOKEN, Call, FakeTelegram, FakeUser

REGENCY = "Kabupaten Uji"
"""Every recipient is in a group of this regency, which the officer covers."""
GROUP_SIZE = 200
RECIPIENT_IDS = 100_000_000
"""Telegram chat id of the first recipient; the others follow."""
WORKER_IDS = 200_000_000
"""Telegram chat id of the first worker who asks for first aid (in a regency of their own,
outside the broadcast's audience)."""
FLOOR_IDS = 300_000_000
"""Telegram chat ids the floor client sends to."""
OFFICER = FakeUser(7002, "Andi")
MESSAGE = "Besok ada cek kesehatan gratis di balai desa. Bawa KTP."
QUESTION = "tmn sy kna kail di jari"
"""A worker's first-aid question; the answer ends with the step buttons (`fa:next`)."""
ANSWERED = "fa:next"
LIFTED = {"telegram_per_second": "1000000"}
"""Settings that lift the bot's own rate limit."""


def database_path(data_dir: Path) -> Path:
    """Where the bot keeps its database, given only `POSUKK_DATA_DIR` (as `BotProcess` runs it)."""
    path = Settings.model_construct(data_dir=data_dir).database
    assert isinstance(path, Path), "the live benchmark runs on SQLite"
    return path


def recipient_chats(count: int) -> range:
    """The chat ids of the first `count` recipients."""
    return range(RECIPIENT_IDS, RECIPIENT_IDS + count)


@dataclass(frozen=True)
class Seeded:
    """What `seed` wrote: how many recipients, and the workers who will ask for first aid."""

    recipients: int
    workers: list[FakeUser]


async def seed(data_dir: Path, recipients: int, workers: int = 0) -> Seeded:
    """`recipients` consented Telegram members of groups of `GROUP_SIZE` in `REGENCY`, an officer
    of that regency, and `workers` members of one group elsewhere."""
    db_path = database_path(data_dir)
    database = await Database.open(db_path)  # the schema, by the bot's own migrations
    await database.close()
    stamp = to_db(utc_now())
    consent = consent_version(Texts.load(), Settings.model_construct())
    groups = -(-recipients // GROUP_SIZE)
    group_rows = [(i, f"Kelompok {i}", REGENCY, f"UJI{i:05d}") for i in range(1, groups + 1)]
    group_rows.append((groups + 1, "Kelompok kontrol", "Kota Kontrol", "KONTROL"))
    people = [(chat, 1 + n // GROUP_SIZE) for n, chat in enumerate(recipient_chats(recipients))]
    people += [(WORKER_IDS + i, groups + 1) for i in range(workers)]
    with contextlib.closing(sqlite3.connect(db_path)) as db, db:
        db.executemany(
            "INSERT INTO pos_groups (id, name, sector, village, district, regency,"
            " puskesmas_name, timezone, join_code, created_at)"
            " VALUES (?, ?, 'nelayan', 'Desa Uji', 'Uji', ?, 'Puskesmas Uji', 'Asia/Makassar', ?,"
            " ?)",
            [(*row, stamp) for row in group_rows],
        )
        db.executemany(
            "INSERT INTO users (id, channel, platform_id, name, language, consent_version,"
            " consent_at, created_at, last_seen_at) VALUES (?, 'telegram', ?, ?, 'id', ?, ?, ?, ?)",
            [(1, str(OFFICER.id), OFFICER.first_name, consent, stamp, stamp, stamp)]
            + [
                (2 + n, str(chat), f"Pekerja {n}", consent, stamp, stamp, stamp)
                for n, (chat, _) in enumerate(people)
            ],
        )
        db.executemany(
            "INSERT INTO memberships (user_id, group_id, joined_at) VALUES (?, ?, ?)",
            [(2 + n, group, stamp) for n, (_, group) in enumerate(people)],
        )
        db.execute(
            "INSERT INTO role_grants (user_id, role, regency, granted_by, granted_at)"
            " VALUES (1, 'officer', ?, 'bench', ?)",
            (REGENCY, stamp),
        )
    return Seeded(recipients, [FakeUser(WORKER_IDS + i, f"Pekerja {i}") for i in range(workers)])


def queue_broadcast(
    db: sqlite3.Connection, broadcast_id: int, user_ids: Iterable[int], stamp: str
) -> None:
    """A broadcast of `MESSAGE` from user 1 already queued to `user_ids` (written as
    `advance_broadcasts` writes it), for a run that needs rows to deliver and no officer."""
    choice = Choice(label="Balas", token=f"bc:{broadcast_id}:reply")
    payload = Reply(key="broadcast.message", text=MESSAGE, choices=(choice,)).model_dump_json()
    db.execute(
        "INSERT INTO broadcasts (id, author_id, audience, text, status, created_at, send_at,"
        " started_at, queued_all) VALUES (?, 1, '{}', ?, 'done', ?, ?, ?, 1)",
        (broadcast_id, MESSAGE, stamp, stamp, stamp),
    )
    db.executemany(
        "INSERT INTO outbox (user_id, kind, payload, dedupe_key, not_before, created_at,"
        " broadcast_id) VALUES (?, 'broadcast', ?, ?, ?, ?, ?)",
        [
            (user, payload, f"{keys.broadcast(broadcast_id)}:to:{user}", stamp, stamp,
             broadcast_id)
            for user in user_ids
        ],
    )  # fmt: skip


def is_recipient(chat_id: int) -> bool:
    """Whether `chat_id` belongs to a seeded recipient."""
    return RECIPIENT_IDS <= chat_id < WORKER_IDS


def chat_of(call: Call) -> int:
    """The chat a call to the fake server was for (0 if none)."""
    return int(call.params.get("chat_id") or 0)


def text_of(call: Call) -> str:
    """The text a call to the fake server sent or edited in ("" if none)."""
    return str(call.params.get("text", ""))


class Watch:
    """The calls the fake server receives from now on, taken in as they come (each once)."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server
        self._seen = len(server.calls)

    def new(self) -> list[Call]:
        """The calls since the last look."""
        calls = self.server.calls
        fresh, self._seen = calls[self._seen :], len(calls)
        return fresh

    async def until(self, wanted: Callable[[Call], bool], within: float) -> None:
        """Wait for a call that is `wanted`."""
        await self.server.wait_for(lambda: any(wanted(call) for call in self.new()), within)


class Deliveries:
    """Broadcast messages to recipients the fake server received, followed as they come in."""

    def __init__(self, server: FakeTelegram) -> None:
        self._watch = Watch(server)
        self.times: list[float] = []
        """When each one arrived (monotonic)."""
        self.per_chat: dict[int, int] = {}

    def update(self) -> int:
        """Take in what arrived since the last update; returns how many arrived in all."""
        for call in self._watch.new():
            chat = chat_of(call)
            if call.method == "sendMessage" and is_recipient(chat):
                self.times.append(call.at)
                self.per_chat[chat] = self.per_chat.get(chat, 0) + 1
        return len(self.times)

    async def wait_for(
        self, count: int, within: float, on_progress: Callable[[], None] = lambda: None
    ) -> None:
        """Wait until `count` messages arrived, calling `on_progress` every 50 ms."""
        deadline = time.monotonic() + within
        while self.update() < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.times)} of {count} broadcast messages arrived")
            on_progress()
            await asyncio.sleep(0.05)

    def rate(self) -> float:
        """Messages a second from the first to the last."""
        span = self.times[-1] - self.times[0]
        return (len(self.times) - 1) / span if span > 0 else 0.0


class BotProcess:
    """`posukk run` in a child process, with its log in `bot.log` in its data directory."""

    def __init__(self, data_dir: Path, server: FakeTelegram, settings: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.server = server
        self.settings = settings
        self.process: asyncio.subprocess.Process | None = None

    def env(self) -> dict[str, str]:
        """The caller's environment without its POSUKK_ settings, then the bot's."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("POSUKK_")}
        settings = {
            "data_dir": str(self.data_dir),
            "telegram_token": TOKEN,
            "telegram_api_url": self.server.base_url,
            "telegram_file_url": self.server.base_file_url,
            "telegram_poll_timeout": "1",
            "quiet_hours": "00:00-00:00",  # no quiet hours: a benchmark runs at any hour
            **self.settings,
        }
        return env | {f"POSUKK_{name.upper()}": value for name, value in settings.items()}

    async def start(self) -> None:
        """Start the bot (in its data directory, away from any `.env`) and wait until it polls
        for updates."""
        watch = Watch(self.server)
        with (self.data_dir / "bot.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.app.cli", "run", env=self.env(), cwd=self.data_dir,
                stdout=log, stderr=log,
            )  # fmt: skip
        await watch.until(lambda call: call.method == "deleteWebhook", within=60)

    @property
    def running(self) -> bool:
        """Whether the bot process was started and has not ended."""
        return self.process is not None and self.process.returncode is None

    def cpu_seconds(self) -> float:
        """CPU time used so far, all threads, user and system."""
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # from the 3rd field on: state, ppid, ...
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory now, in MB (VmRSS)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    async def stop(self) -> None:
        """SIGTERM, as systemd stops it; the bot finishes the message in hand and exits 0."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        if await asyncio.wait_for(self.process.wait(), 60) != 0:
            raise RuntimeError(f"the bot failed; see {self.data_dir / 'bot.log'}")

    async def kill(self) -> None:
        """SIGKILL: no clean-up at all, as in a power cut or the OOM killer."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


@contextlib.asynccontextmanager
async def running_bot(
    data_dir: Path, server: FakeTelegram, settings: dict[str, str]
) -> AsyncIterator[BotProcess]:
    """A started bot; killed on the way out if it still runs (the benchmark failed)."""
    bot = BotProcess(data_dir, server, settings)
    try:
        await bot.start()
        yield bot
    finally:
        if bot.running:
            await bot.kill()


def to_officer(expected: str) -> Callable[[Call], bool]:
    """A message to the officer that says `expected`."""
    return lambda call: chat_of(call) == OFFICER.id and expected in text_of(call)


async def send_broadcast(server: FakeTelegram, text: str = MESSAGE) -> None:
    """The officer writes a broadcast to all their groups (everyone in `REGENCY`) and taps
    Send."""

    async def say(expected: str, act: Callable[[], object]) -> None:
        watch = Watch(server)
        act()
        await watch.until(to_officer(expected), within=60)

    def press(token: str) -> Callable[[], object]:
        def act() -> object:
            message = next(
                m for m in reversed(list(server.messages.values()))
                if m["chat"]["id"] == OFFICER.id and token in {d for _, d in server.buttons(m)}
            )  # fmt: skip
            return server.press(OFFICER, message, token)

        return act

    await say("Tulis pesan siaran", lambda: server.send_text(OFFICER, "/siaran"))
    await say("tambah foto", lambda: server.send_text(OFFICER, text))
    await say("Kirim ke siapa", press("bc:nophoto"))
    await say("Pratinjau", press("bc:scope:all"))
    await say("mulai dikirim", press("bc:send"))


async def ask_first_aid(
    server: FakeTelegram, workers: list[FakeUser], interval: float, within: float = 60.0
) -> list[float]:
    """Each worker in turn asks `QUESTION`, one every `interval` seconds whatever the answers
    do; returns the seconds until each whole answer (its step buttons) arrived."""
    asked: dict[int, float] = {}
    latencies: list[float] = []
    watch = Watch(server)

    def take_in() -> None:
        for call in watch.new():
            chat = chat_of(call)
            if chat in asked and ANSWERED in json.dumps(call.params.get("reply_markup") or {}):
                latencies.append(call.at - asked.pop(chat))

    for worker in workers:
        asked[worker.id] = time.monotonic()
        server.send_text(worker, QUESTION)
        take_in()
        await asyncio.sleep(interval)
    deadline = time.monotonic() + within
    while asked and time.monotonic() < deadline:
        take_in()
        await asyncio.sleep(0.01)
    if asked:
        raise TimeoutError(f"{len(asked)} workers got no answer within {within} s")
    return latencies


@contextlib.asynccontextmanager
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A fresh fake Bot API server for one run, so its records hold that run alone."""
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass(frozen=True)
class Pace:
    """How fast a process sent: messages a second, and CPU seconds (all its threads) each."""

    rate: float
    cpu_per_message: float


async def floor(server: FakeTelegram, count: int) -> Pace:
    """The pace of `count` bare sends through python-telegram-bot (on the bot's aiohttp request
    class) in a child process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.live", "floor", server.base_url, str(count),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError("the floor client failed")
    return Pace(**json.loads(output))


async def _send_bare(base_url: str, count: int) -> Pace:
    """The floor client itself: the broadcast's message and button, `count` times."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # as bot.channels.telegram sets it
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    from bot.channels.telegram_http import AiohttpRequest

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Balas", callback_data="bc:1:reply")]])
    async with Bot(TOKEN, base_url=base_url, request=AiohttpRequest()) as bot:
        started, cpu = time.monotonic(), time.process_time()
        for n in range(count):
            await bot.send_message(FLOOR_IDS + n, MESSAGE, reply_markup=markup)
        return Pace(count / (time.monotonic() - started), (time.process_time() - cpu) / count)


if __name__ == "__main__":
    _, command, url, number = sys.argv
    assert command == "floor"
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        print(json.dumps(asdict(runner.run(_send_bare(url, int(number))))))
