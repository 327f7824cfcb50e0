"""People talking to `posukk run` processes behind a load balancer, through the Telegram
webhook path and the fake Bot API: the scripted conversations, the balancer, and what each chat
was sent. For the several-processes test (`test_two_processes.py`) and its benchmark
(`bench.processes`)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.app.demo import FISHERMEN_CODE
from bot.base.clock import to_db, utc_now
from bot.base.settings import Settings
from tests.channels.test_durable import posukk_run
from tests.conftest import CONSENTED, RowCounter
from tests.fakes.telegram_api import FakeTelegram, FakeUser

SECRET = "s3cret"
"""The webhook's secret (`X-Telegram-Bot-Api-Secret-Token`)."""


@dataclass(frozen=True)
class Step:
    """Type `text` (or press the button `token`), then wait for a message saying `expected`."""

    expected: str
    text: str = ""
    token: str = ""


def registration(n: int) -> list[Step]:
    return [
        Step("Pilih bahasa", text=f"/start {FISHERMEN_CODE}"),
        Step("Apakah Anda setuju", token="lang:id"),
        Step("Siapa nama Anda", token="consent:yes"),
        Step("Nomor HP Anda", text=f"Pekerja {n}"),
        Step("Menu utama", text=f"0812{70_000_000 + n}"),
    ]


FIRST_AID = [Step("Pilih yang Anda perlukan", text="tmn sy kna kail di jari")]
REPORT = [
    Step("Siapa yang celaka", text="/lapor"),
    Step("Laki-laki atau perempuan", text="saya sendiri"),
    Step("Umurnya berapa", text="L"),
    Step("Status kerjanya", text="42"),
    Step("Apa yang terjadi", text="usaha sendiri"),
    Step("Bagian tubuh mana", text="kena kail"),
    Step("Kapan kejadiannya", token="rep:body:hand"),
    Step("Di mana?", text="kemarin jam 3"),
    Step("Sedang kerja apa", text="di perahu"),
    Step("tanda bahaya ini", text="memancing"),
    Step("Pertolongan apa", text="tidak"),
    Step("berhenti kerja", text="dicuci air"),
    Step("Ada foto", text="ya"),
    Step("Periksa laporan Anda", text="lewati"),
    Step("Menu utama", token="rep:send"),
]


def script(n: int, *, report: bool) -> list[Step]:
    """Person `n` registers, asks for first aid and, if `report`, reports an incident."""
    return registration(n) + FIRST_AID + (REPORT if report else [])


class Balancer:
    """A load balancer in front of the processes: each update goes to the next one in turn,
    and to another when one does not answer (a dead process)."""

    def __init__(self, session: aiohttp.ClientSession, ports: list[int]) -> None:
        self.session = session
        self.urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
        self._turns = itertools.cycle(range(len(self.urls)))

    async def deliver(self, update: dict[str, Any], rounds: int = 3) -> None:
        """Hand `update` over; a process that refuses the connection (or closes a kept-alive
        one as it is reused) is passed over, as nginx does (`proxy_next_upstream`)."""
        first = next(self._turns)
        for _ in range(rounds):
            for url in self.urls[first:] + self.urls[:first]:
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with self.session.post(
                        url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                    ) as answer:
                        assert answer.status == 200
                        return
            await asyncio.sleep(0.1)
        raise ConnectionError("no process took the update")

    async def until_listening(self, within: float = 90.0) -> None:
        """Wait until every process's webhook answers (the classifier loads first)."""
        deadline = asyncio.get_running_loop().time() + within
        for url in self.urls:
            while True:
                try:
                    async with self.session.get(url) as answer:
                        assert answer.status == 405, "GET is no update"
                        break
                except aiohttp.ClientConnectionError:
                    if asyncio.get_running_loop().time() > deadline:
                        raise
                    await asyncio.sleep(0.2)


class Chats:
    """What the bot said in each chat, taken in as it comes: each message sent, and each answer
    to a tap edited into the pressed message (not the edits that only retire a message's
    buttons, which end with the choice)."""

    def __init__(self, server: FakeTelegram, broadcast: str) -> None:
        self.server = server
        self.broadcast = broadcast
        self.texts: dict[int, list[str]] = collections.defaultdict(list)
        self.broadcast_at: list[float] = []
        """When each broadcast message reached the server (`Call.received`)."""
        self._seen = 0
        self._changed: dict[int, asyncio.Event] = collections.defaultdict(asyncio.Event)

    def update(self) -> None:
        calls = self.server.calls
        for call in calls[self._seen :]:
            text = str(call.params.get("text", ""))
            answered_in_place = call.method == "editMessageText" and not _retirement(text)
            if call.method == "sendMessage" or answered_in_place:
                chat = int(call.params["chat_id"])
                self.texts[chat].append(text)
                self._changed[chat].set()
                if call.method == "sendMessage" and self.broadcast in text:
                    self.broadcast_at.append(call.received)
        self._seen = len(calls)

    async def follow(self) -> None:
        while True:
            self.update()
            await asyncio.sleep(0.02)

    async def until(self, chat: int, after: int, expected: str, within: float = 60.0) -> None:
        """Wait for a message to `chat` saying `expected`, after its first `after`."""
        async with asyncio.timeout(within):
            while not any(expected in text for text in self.texts[chat][after:]):
                changed = self._changed[chat]
                changed.clear()
                await changed.wait()

    def received(self, expected: str) -> dict[int, int]:
        """How many messages saying `expected` each chat received."""
        return {
            chat: count
            for chat, texts in self.texts.items()
            if (count := sum(expected in text for text in texts))
        }


def _retirement(edited: str) -> bool:
    """An edit that only shows the choice made under a message's text (`➡️ <label>` last)."""
    return edited.rsplit("\n", 1)[-1].startswith("➡️")


async def act(
    server: FakeTelegram, chats: Chats, balancer: Balancer, user: FakeUser, step: Step
) -> float:
    """One step of a conversation; the seconds until it was answered."""
    before = len(chats.texts[user.id])
    began = time.monotonic()
    if step.token:
        message = next(
            m for m in reversed(list(server.messages.values()))
            if m["chat"]["id"] == user.id and step.token in {d for _, d in server.buttons(m)}
        )  # fmt: skip
        update = server.press(user, message, step.token)
    else:
        update = server.send_text(user, step.text)
    await balancer.deliver(update)
    await chats.until(user.id, before, step.expected)
    return time.monotonic() - began


async def converse(
    server: FakeTelegram, chats: Chats, balancer: Balancer, user: FakeUser, steps: list[Step]
) -> list[float]:
    """A conversation, one step after the answer to the last; the seconds of each step."""
    return [await act(server, chats, balancer, user, step) for step in steps]


def in_order(texts: list[str], steps: list[Step]) -> bool:
    """Whether each step's answer came after the one before."""
    remaining = iter(texts)
    return all(any(step.expected in text for text in remaining) for step in steps)


def busiest_second(moments: list[float]) -> int:
    """The most moments within any one second."""
    ordered = sorted(moments)
    most, start = 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@contextlib.asynccontextmanager
async def processes(
    settings: Settings, ports: list[int], **extra: str
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """A `posukk run` in webhook mode for each port, on the database of `settings` (on
    PostgreSQL each with a data folder of its own, as on separate machines)."""
    async with contextlib.AsyncExitStack() as stack:
        started = []
        for n, port in enumerate(ports):
            data_dir = settings.data_dir
            if settings.database_url:
                data_dir = settings.data_dir / f"process-{n}"
                data_dir.mkdir()
            hook = {
                "POSUKK_DATA_DIR": str(data_dir),
                "POSUKK_TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram",
                "POSUKK_TELEGRAM_WEBHOOK_SECRET": SECRET,
                "POSUKK_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
                "POSUKK_TELEGRAM_WEBHOOK_PORT": str(port),
                "POSUKK_INBOUND_PER_MINUTE": "10000",
                "POSUKK_SCHEDULED_SUMMARIES": "false",
                **extra,
            }
            started.append(await stack.enter_async_context(posukk_run(settings, **hook)))
        yield started


def broadcast(message: str) -> list[Step]:
    """The officer (`tests.channels.conftest.OFFICER`) broadcasts `message` to their whole
    regency, now."""
    return [
        Step("Tulis pesan siaran", text="/siaran"),
        Step("tambah foto", text=message),
        Step("Kirim ke siapa", token="bc:nophoto"),
        Step("Pratinjau", token="bc:scope:all"),
        Step("mulai dikirim", token="bc:send"),
    ]


def seed(rows: RowCounter, first_chat: int, count: int, reminded: int, meeting: str) -> None:
    """`count` Telegram members (chat ids from `first_chat`) in the officer's regency: the first
    `reminded` in a group with `meeting` in 90 minutes (its reminder two hours before is due),
    the others in a group of their own."""
    regency = rows("SELECT regency FROM pos_groups WHERE join_code = ?", FISHERMEN_CODE)[0][0]
    stamp = to_db(utc_now())
    first_group = int(str(rows("SELECT MAX(id) + 1 FROM pos_groups")[0][0]))
    rows.many(
        "INSERT INTO pos_groups (id, name, sector, village, district, regency, puskesmas_name,"
        " timezone, join_code, created_at) VALUES (?, ?, 'nelayan', 'Desa Uji', 'Uji', ?,"
        " 'Puskesmas Uji', 'Asia/Makassar', ?, ?)",
        [(first_group, "Kelompok Senam", regency, "SENAM1", stamp),
         (first_group + 1, "Kelompok Siaran", regency, "SIARAN1", stamp)],
    )  # fmt: skip
    first_user = int(str(rows("SELECT MAX(id) + 1 FROM users")[0][0]))
    rows.many(
        "INSERT INTO users (id, channel, platform_id, name, language, consent_version,"
        " consent_at, created_at, last_seen_at) VALUES (?, 'telegram', ?, ?, 'id', ?, ?, ?, ?)",
        [(first_user + n, str(first_chat + n), f"Nelayan {n}", CONSENTED, stamp, stamp, stamp)
         for n in range(count)],
    )  # fmt: skip
    rows.many(
        "INSERT INTO memberships (user_id, group_id, joined_at) VALUES (?, ?, ?)",
        [(first_user + n, first_group + (n >= reminded), stamp) for n in range(count)],
    )
    if reminded:
        starts = utc_now().replace(microsecond=0) + dt.timedelta(minutes=90)
        rows.many(
            "INSERT INTO activities (group_id, kind, title, place, first_at, repeat, audience,"
            " created_by, created_at) VALUES (?, 'rutin', ?, 'lapangan', ?, 'once', 'all', ?, ?)",
            [(first_group, meeting, to_db(starts), first_user, stamp)],
        )
