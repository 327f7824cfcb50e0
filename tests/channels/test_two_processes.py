"""Two `posukk run` processes on one PostgreSQL database behind a load balancer (issue 23):
Telegram in webhook mode, each update handed to one process or the other in turn. 200 people
talk to the bot (registration, first aid, full incident reports), a group is reminded of a
meeting, a 10,000-recipient broadcast goes out from both processes at the shared cap, and one
process is killed with -9 half way through it."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app.demo import FISHERMEN_CODE
from bot.base.clock import to_db, utc_now
from bot.base.settings import Settings
from tests.channels.conftest import KADER, OFFICER
from tests.channels.test_durable import kill, posukk_run
from tests.conftest import CONSENTED, RowCounter
from tests.fakes.telegram_api import FakeTelegram, FakeUser

pytestmark = pytest.mark.postgresql_only(reason="several processes share PostgreSQL only")

CAP = 500.0
"""Telegram's overall rate for the two processes together, raised so the test takes seconds."""
BULK_CAP = CAP * 0.8
"""What a broadcast may use of it (`RateLimit.bulk_share`)."""
SECRET = "s3cret"
PEOPLE = 200
REPORTERS = 50
"""Of the people, how many also file a full incident report."""
REMINDED = 300
BROADCAST_TO = 10_000
"""Telegram recipients of the broadcast: the kader, the people, the reminded group, the rest."""
KILL_AFTER = 4_000
"""Broadcast messages received when one process is killed."""
MESSAGE = "Besok ada cek kesehatan gratis di balai desa. Bawa KTP."
MEETING = "Senam pagi bersama"
PERSON_IDS, SEEDED_IDS = 50_000, 100_000_000


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


def script(n: int) -> list[Step]:
    return registration(n) + FIRST_AID + (REPORT if n < REPORTERS else [])


class Balancer:
    """A load balancer in front of the processes: each update goes to the next one in turn,
    and to another when one does not answer (a dead process)."""

    def __init__(self, session: aiohttp.ClientSession, ports: list[int]) -> None:
        self.session = session
        self.urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
        self._turns = itertools.cycle(range(len(self.urls)))

    async def deliver(self, update: dict[str, Any]) -> None:
        first = next(self._turns)
        for url in self.urls[first:] + self.urls[:first]:
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with self.session.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                ) as answer:
                    assert answer.status == 200
                    return
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
    """The messages the fake server was sent for each chat, taken in as they come."""

    def __init__(self, server: FakeTelegram) -> None:
        self.server = server
        self.texts: dict[int, list[str]] = collections.defaultdict(list)
        self.broadcast_at: list[float] = []
        """When each broadcast message reached the server (`Call.received`)."""
        self._seen = 0
        self._changed: dict[int, asyncio.Event] = collections.defaultdict(asyncio.Event)

    def update(self) -> None:
        calls = self.server.calls
        for call in calls[self._seen :]:
            if call.method == "sendMessage":
                chat, text = int(call.params["chat_id"]), str(call.params.get("text", ""))
                self.texts[chat].append(text)
                self._changed[chat].set()
                if MESSAGE in text:
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


async def act(
    server: FakeTelegram, chats: Chats, balancer: Balancer, user: FakeUser, step: Step
) -> None:
    """One step of a conversation, answered."""
    before = len(chats.texts[user.id])
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


async def converse(
    server: FakeTelegram, chats: Chats, balancer: Balancer, user: FakeUser, steps: list[Step]
) -> None:
    for step in steps:
        await act(server, chats, balancer, user, step)


def in_order(texts: list[str], steps: list[Step]) -> bool:
    """Whether each step's answer came after the one before."""
    remaining = iter(texts)
    return all(any(step.expected in text for text in remaining) for step in steps)


def alerts(chats: Chats) -> list[str]:
    """The kader's alerts of new reports."""
    return [text for text in chats.texts[KADER.id] if "UKK-" in text]


def seed(rows: RowCounter) -> None:
    """The reminded group (with a meeting in 90 minutes: its reminder two hours before is due)
    and a group of everyone else the broadcast reaches, in the officer's regency."""
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
    seeded = BROADCAST_TO - PEOPLE - 1  # the kader is a recipient too
    rows.many(
        "INSERT INTO users (id, channel, platform_id, name, language, consent_version,"
        " consent_at, created_at, last_seen_at) VALUES (?, 'telegram', ?, ?, 'id', ?, ?, ?, ?)",
        [(first_user + n, str(SEEDED_IDS + n), f"Nelayan {n}", CONSENTED, stamp, stamp, stamp)
         for n in range(seeded)],
    )  # fmt: skip
    rows.many(
        "INSERT INTO memberships (user_id, group_id, joined_at) VALUES (?, ?, ?)",
        [(first_user + n, first_group + (n >= REMINDED), stamp) for n in range(seeded)],
    )
    starts = utc_now().replace(microsecond=0) + dt.timedelta(minutes=90)
    rows.many(
        "INSERT INTO activities (group_id, kind, title, place, first_at, repeat, audience,"
        " created_by, created_at) VALUES (?, 'rutin', ?, 'lapangan', ?, 'once', 'all', ?, ?)",
        [(first_group, MEETING, to_db(starts), first_user, stamp)],
    )


def seeded_ids() -> Iterator[int]:
    return iter(range(SEEDED_IDS, SEEDED_IDS + BROADCAST_TO - PEOPLE - 1))


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
async def two_processes(
    settings: Settings, ports: list[int]
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Two `posukk run`, each with its own data folder and webhook port, one database."""
    async with contextlib.AsyncExitStack() as stack:
        processes = []
        for n, port in enumerate(ports):
            data_dir = settings.data_dir / f"process-{n}"
            data_dir.mkdir()
            hook = {
                "POSUKK_DATA_DIR": str(data_dir),
                "POSUKK_TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram",
                "POSUKK_TELEGRAM_WEBHOOK_SECRET": SECRET,
                "POSUKK_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
                "POSUKK_TELEGRAM_WEBHOOK_PORT": str(port),
                "POSUKK_TELEGRAM_PER_SECOND": str(CAP),
                "POSUKK_OUTBOX_LEASE_SECONDS": "10",
                "POSUKK_INBOUND_PER_MINUTE": "10000",
                "POSUKK_SCHEDULED_SUMMARIES": "false",
                "POSUKK_REMINDERS": "2h",
            }
            processes.append(await stack.enter_async_context(posukk_run(settings, **hook)))
        yield processes


async def test_two_processes_behind_a_load_balancer_keep_every_guarantee(
    telegram: FakeTelegram,
    settings: Settings,
    seeded: None,
    rows: RowCounter,
    unused_tcp_port_factory: Any,
    tmp_path: Path,
) -> None:
    seed(rows)
    chats = Chats(telegram)
    following = asyncio.create_task(chats.follow())
    ports = [unused_tcp_port_factory(), unused_tcp_port_factory()]
    people = [FakeUser(PERSON_IDS + n, f"Pekerja {n}") for n in range(PEOPLE)]
    try:
        async with (
            aiohttp.ClientSession() as session,
            two_processes(settings, ports) as processes,
        ):
            balancer = Balancer(session, ports)
            await balancer.until_listening()

            # 200 conversations at once, each message handed to either process.
            await asyncio.gather(
                *(converse(telegram, chats, balancer, p, script(n)) for n, p in enumerate(people))
            )
            for n, person in enumerate(people):
                texts = chats.texts[person.id]
                assert in_order(texts, script(n)), f"{person.first_name}: answers out of order"
            lengths = {
                script_kind: {len(chats.texts[p.id]) for n, p in enumerate(people)
                              if (n < REPORTERS) == script_kind}
                for script_kind in (True, False)
            }  # fmt: skip
            assert lengths[True] == {min(lengths[True])}, "each message answered once, no more"
            assert lengths[False] == {min(lengths[False])}
            assert rows.count("incidents") == REPORTERS
            await telegram.wait_for(lambda: len(alerts(chats)) >= REPORTERS, within=60)

            # The meeting's reminder, queued by whichever process runs the scheduled jobs.
            reminded = set(itertools.islice(seeded_ids(), REMINDED))
            await telegram.wait_for(lambda: chats.received(MEETING).keys() >= reminded, within=60)

            # The broadcast, sent by both processes at the shared cap; one is killed half way.
            for step in (
                Step("Tulis pesan siaran", text="/siaran"),
                Step("tambah foto", text=MESSAGE),
                Step("Kirim ke siapa", token="bc:nophoto"),
                Step("Pratinjau", token="bc:scope:all"),
                Step("mulai dikirim", token="bc:send"),
            ):
                await act(telegram, chats, balancer, OFFICER, step)
            await telegram.wait_for(lambda: len(chats.broadcast_at) >= KILL_AFTER, within=120)
            before_kill = list(chats.broadcast_at)
            await kill(processes[0])
            in_flight = {
                int(str(chat))
                for (chat,) in rows(
                    "SELECT users.platform_id FROM outbox JOIN users ON users.id = outbox.user_id"
                    " WHERE outbox.broadcast_id IS NOT NULL AND outbox.status = 'pending'"
                    " AND outbox.claimed_until IS NOT NULL"
                )
            }
            senders = rows(
                "SELECT COUNT(DISTINCT claimed_by) FROM outbox WHERE broadcast_id IS NOT NULL"
                " AND status = 'sent'"
            )
            expected = {KADER.id} | {p.id for p in people} | set(seeded_ids())
            await telegram.wait_for(lambda: chats.received(MESSAGE).keys() >= expected, within=120)
            await chats.until(OFFICER.id, 0, "Siaran sudah selesai", within=60)
    finally:
        following.cancel()
    chats.update()
    assert len(alerts(chats)) == REPORTERS, "the kader is alerted once of each report"
    assert len(expected) == BROADCAST_TO
    reminders = chats.received(MEETING)
    assert reminders.keys() == reminded
    assert set(reminders.values()) == {1}, "every reminder exactly once"
    assert senders == [(2,)], "both processes sent the broadcast"
    assert busiest_second(before_kill) <= BULK_CAP * 1.05 + 5, "the cap holds for both together"
    received = chats.received(MESSAGE)
    received.pop(OFFICER.id)  # the author's preview
    assert received.keys() == expected, "lost none, and nobody else got it"
    duplicated = {chat for chat, count in received.items() if count > 1}
    assert duplicated <= in_flight, "only messages in flight at the kill may go twice"
    assert sum(received[chat] - 1 for chat in duplicated) <= len(in_flight)
