"""Two `posukk run` processes on one PostgreSQL database behind a load balancer (issue 23):
Telegram in webhook mode, each update handed to one process or the other in turn. 200 people
talk to the bot (registration, first aid, full incident reports), a group is reminded of a
meeting, a 10,000-recipient broadcast goes out from both processes at the shared cap, and one
process is killed with -9 half way through it."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from bot.base.settings import Settings
from tests.channels import balanced
from tests.channels.balanced import Balancer, Chats, Step, act, busiest_second, converse, in_order
from tests.channels.conftest import KADER, OFFICER
from tests.channels.test_durable import kill
from tests.conftest import RowCounter
from tests.fakes.telegram_api import FakeTelegram, FakeUser

pytestmark = pytest.mark.postgresql_only(reason="several processes share PostgreSQL only")

CAP = 500.0
"""Telegram's overall rate for the two processes together, raised so the test takes seconds."""
BULK_CAP = CAP * 0.8
"""What a broadcast may use of it (`RateLimit.bulk_share`)."""
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


def script(n: int) -> list[Step]:
    return balanced.script(n, report=n < REPORTERS)


def alerts(chats: Chats) -> list[str]:
    """The kader's alerts of new reports."""
    return [text for text in chats.texts[KADER.id] if "UKK-" in text]


def seeded_ids() -> Iterator[int]:
    return iter(range(SEEDED_IDS, SEEDED_IDS + BROADCAST_TO - PEOPLE - 1))


async def test_two_processes_behind_a_load_balancer_keep_every_guarantee(
    telegram: FakeTelegram,
    settings: Settings,
    seeded: None,
    rows: RowCounter,
    unused_tcp_port_factory: Any,
) -> None:
    balanced.seed(rows, SEEDED_IDS, BROADCAST_TO - PEOPLE - 1, REMINDED, MEETING)
    chats = Chats(telegram, MESSAGE)
    following = asyncio.create_task(chats.follow())
    ports = [unused_tcp_port_factory(), unused_tcp_port_factory()]
    people = [FakeUser(PERSON_IDS + n, f"Pekerja {n}") for n in range(PEOPLE)]
    try:
        async with (
            aiohttp.ClientSession() as session,
            balanced.processes(
                settings,
                ports,
                POSUKK_TELEGRAM_PER_SECOND=str(CAP),
                POSUKK_OUTBOX_LEASE_SECONDS="10",
                POSUKK_REMINDERS="2h",
            ) as running,
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
            for step in balanced.broadcast(MESSAGE):
                await act(telegram, chats, balancer, OFFICER, step)
            await telegram.wait_for(lambda: len(chats.broadcast_at) >= KILL_AFTER, within=120)
            before_kill = list(chats.broadcast_at)
            await kill(running[0])
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
