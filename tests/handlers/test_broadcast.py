"""`/siaran` through the engine: writing, whom it reaches, scope, scheduling, answers, controls.

Pak Andi is an officer of Kota Bontang and Berau; Bu Sari (kader) and Budi (worker) are in the
fishermen group of Kota Bontang, Pak Rahmat (kader) in the plantation group of Berau. Some tests
add a third regency, Kutai Timur, which Pak Andi does not cover: nothing ever reaches it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app.demo import FISHERMEN_CODE, PLANTATION_CODE
from bot.base.models import Channel, Choice
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.domain.audience import Audience, Scope
from bot.storage.broadcasts import CANCELLED
from bot.storage.database import Database
from bot.storage.records import NewGroup, Role
from content.schema import Sector
from scheduler.broadcasts import advance_broadcasts
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from tests.conftest import CONSENTED, ZONE, FakeClock, Person, RowCounter, person
from tests.fakes.senders import ScriptedSender

MESSAGE = "Besok ada cek kesehatan gratis di balai desa. Bawa KTP."
TOMORROW_8 = dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)  # Tuesday 08:00 WITA
EVERYONE = {"Bu Sari", "Budi", "Pak Rahmat"}
"""Whom Pak Andi reaches in the demo; never himself."""

KUTAI_TIMUR = NewGroup(
    name="Nelayan Sangatta",
    sector=Sector.FISHING,  # the same sector as Bontang: a sector audience must still skip it
    village="Sangatta Selatan",
    district="Sangatta Selatan",
    regency="Kutai Timur",
    puskesmas_name="Puskesmas Sangatta Selatan",
    puskesmas_phone=None,
    timezone="Asia/Makassar",
)


@dataclass(frozen=True)
class World:
    """Group ids of the demo, plus the Kutai Timur group that Pak Andi does not cover."""

    fishermen: int
    plantation: int
    kutai_timur: int


# -- setting the scene -------------------------------------------------------------------------
async def add_user(
    database: Database,
    clock: FakeClock,
    ref: str,
    name: str,
    group_id: int,
    *,
    language: str = "id",
    kader: bool = False,
) -> None:
    """A registered member of `group_id` (and its kader, if `kader`)."""
    async with database.unit_of_work() as uow:
        user = await uow.users.create(
            channel=Channel.TERMINAL,
            platform_id=ref,
            name=name,
            language=language,
            consent_version=CONSENTED,
            now=clock(),
        )
        await uow.memberships.join(user.id, group_id, clock())
        if kader:
            await uow.roles.grant(
                user_id=user.id, role=Role.KADER, group_id=group_id, granted_by="test", now=clock()
            )


@pytest.fixture
async def world(database: Database, clock: FakeClock) -> World:
    """Tom (English) joins the fishermen; Kutai Timur gets a kader and a worker of its own."""
    async with database.unit_of_work() as uow:
        fishermen = await uow.groups.by_code(FISHERMEN_CODE)
        plantation = await uow.groups.by_code(PLANTATION_CODE)
        assert fishermen is not None
        assert plantation is not None
        kutai_timur = await uow.groups.create(KUTAI_TIMUR, clock())
    await add_user(database, clock, "t:tom", "Tom", fishermen.id, language="en")
    await add_user(database, clock, "t:yusuf", "Pak Yusuf", kutai_timur.id, kader=True)
    await add_user(database, clock, "t:wati", "Wati", kutai_timur.id)
    return World(fishermen.id, plantation.id, kutai_timur.id)


# -- driving the conversation ------------------------------------------------------------------
async def write(who: Person, text: str = MESSAGE) -> None:
    """`/siaran`, write `text`, no photo: whoever may reach several groups is asked whom next."""
    await who.say("/siaran")
    assert who.keys == ["broadcast.ask_text"]
    await who.say(text)
    assert who.keys == ["broadcast.ask_photo"]
    await who.tap("bc:nophoto")


async def compose(who: Person, text: str = MESSAGE, *taps: str) -> None:
    """Write `text`, then tap `taps` (the audience); ends at the preview."""
    await write(who, text)
    for token in taps:
        await who.tap(token)
    assert who.keys[-1] == "broadcast.preview", who.keys


def preview_total(who: Person) -> int:
    """The number of recipients the last preview announced."""
    found = re.search(r"Jumlah: (\d+) orang", who.last[-1].text)
    assert found is not None, who.last[-1].text
    return int(found.group(1))


def labels(who: Person) -> list[str]:
    return [choice.label for reply in who.last for choice in reply.choices]


async def send(who: Person, rows: RowCounter) -> int:
    """Press Send at the preview; the id of the broadcast it saved."""
    await who.tap("bc:send")
    assert who.keys[0] in ("broadcast.queued", "broadcast.scheduled"), who.keys
    ((broadcast_id,),) = rows("SELECT MAX(id) FROM broadcasts")
    assert isinstance(broadcast_id, int)
    return broadcast_id


def queued_names(rows: RowCounter, broadcast_id: int) -> list[str]:
    """Whom the scheduler queued a broadcast for, by name, sorted."""
    return sorted(
        str(name)
        for (name,) in rows(
            "SELECT users.name FROM outbox JOIN users ON users.id = outbox.user_id"
            " WHERE outbox.broadcast_id = ?",
            broadcast_id,
        )
    )


def session_of(rows: RowCounter, who: Person) -> tuple[str, str, dict[str, object]]:
    """(flow, step, draft) of someone's stored conversation."""
    ((flow, step, draft),) = rows(
        "SELECT flow, step, draft FROM sessions WHERE platform_id = ?", who.ref
    )
    loaded = json.loads(str(draft))
    assert isinstance(loaded, dict)
    return str(flow), str(step), loaded


def deliverer(database: Database, clock: FakeClock, sender: ScriptedSender) -> OutboxDelivery:
    limits = {Channel.TERMINAL: RateLimit(per_second=10_000)}
    return OutboxDelivery(
        database, {Channel.TERMINAL: sender}, limits, clock=clock, default_timezone=ZONE
    )


async def drain(database: Database, clock: FakeClock, sender: ScriptedSender) -> None:
    """Deliver every due outbox row."""
    job = deliverer(database, clock, sender)
    while (await job.deliver_all()).handled:
        pass


async def advance(database: Database, texts: Texts, tmp_path: Path, clock: FakeClock) -> int:
    """One run of the broadcast job, delivering to the terminal (everyone's chat app here)."""
    return await advance_broadcasts(database, texts, tmp_path, clock(), (Channel.TERMINAL,))


async def run_scheduler(
    database: Database, texts: Texts, tmp_path: Path, clock: FakeClock, sender: ScriptedSender
) -> None:
    """Queue, deliver, then let the scheduler see it finished and deliver its report."""
    for _ in range(2):
        await advance(database, texts, tmp_path, clock)
        await drain(database, clock, sender)


def broadcast_recipients(sender: ScriptedSender) -> Counter[str]:
    return Counter(ref for ref, reply in sender.replies if reply.key == "broadcast.message")


# -- 1. the officer's whole way ----------------------------------------------------------------
async def test_officer_writes_previews_sends_and_everyone_gets_it_once(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    andi = person(engine, "andi")
    await andi.say("/siaran")
    assert andi.keys == ["broadcast.ask_text"]
    assert andi.tokens == ["bc:history", "bc:inbox"]
    await andi.say(MESSAGE)
    assert andi.tokens == ["bc:nophoto"]
    await andi.tap("bc:nophoto")
    assert andi.keys == ["broadcast.ask_scope"]
    assert "2 kelompok" in andi.last[0].text
    await andi.tap("bc:scope:all")
    assert andi.keys == ["broadcast.preview"]
    preview = andi.last[0].text
    assert MESSAGE in preview
    assert "Pak Andi, petugas kesehatan" in preview
    assert "Jumlah: 3 orang (Terminal 3)" in preview, "the author is never a recipient"
    assert "Dikirim: sekarang" in preview
    assert "bc:audience" in andi.tokens, "two groups within reach: the audience can change"
    assert rows("SELECT COUNT(*) FROM broadcasts") == [(0,)], "nothing stored before Send"

    broadcast_id = await send(andi, rows)
    assert andi.keys == ["broadcast.queued", "menu.title"]
    assert rows(
        "SELECT users.name, broadcasts.text, broadcasts.status, broadcasts.photo"
        " FROM broadcasts JOIN users ON users.id = broadcasts.author_id"
    ) == [("Pak Andi", MESSAGE, "scheduled", None)]
    ((detail,),) = rows("SELECT detail FROM audit_log WHERE action = 'broadcast'")
    assert json.loads(str(detail))["recipients"] == 3

    sender = ScriptedSender()
    await run_scheduler(database, texts, tmp_path, clock, sender)
    assert broadcast_recipients(sender) == {"demo:sari": 1, "demo:budi": 1, "demo:rahmat": 1}
    for ref, reply in sender.replies:
        if reply.key == "broadcast.message":
            assert MESSAGE in reply.text, ref
            assert reply.choices == (Choice(token=f"bc:{broadcast_id}:reply", label="Balas"),)
    reports = [reply for ref, reply in sender.replies if ref == "demo:andi"]
    assert [reply.key for reply in reports] == ["broadcast.tally", "broadcast.finished"]
    assert "Terkirim 3" in reports[-1].text
    assert rows("SELECT status FROM broadcasts") == [("done",)]


async def test_a_photo_goes_with_the_message(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    sari = person(engine, "sari")
    await sari.say("/siaran")
    await sari.say("Lihat poster ini ya.")
    await sari.say("nanti saja")
    assert sari.keys == ["broadcast.photo_or_skip", "broadcast.ask_photo"]
    sari.last = await engine.handle(sari.inbound(photo_ref="photos/poster.jpg"))
    assert sari.keys == ["broadcast.preview"]
    assert sari.last[0].photo == str(tmp_path / "photos/poster.jpg")
    await send(sari, rows)
    assert rows("SELECT photo FROM broadcasts") == [("photos/poster.jpg",)]
    sender = ScriptedSender()
    await run_scheduler(database, texts, tmp_path, clock, sender)
    (message,) = [reply for _, reply in sender.replies if reply.key == "broadcast.message"]
    assert message.photo == str(tmp_path / "photos/poster.jpg")
    assert "Lihat poster ini ya." in message.text


# -- 2. whom each choice reaches ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("taps", "expected"),
    [
        pytest.param(["bc:scope:all"], ["Bu Sari", "Budi", "Pak Rahmat", "Tom"], id="all"),
        pytest.param(["bc:scope:regency", "bc:val:0"], ["Pak Rahmat"], id="regency-berau"),
        pytest.param(
            ["bc:scope:regency", "bc:val:1"], ["Bu Sari", "Budi", "Tom"], id="regency-bontang"
        ),
        pytest.param(["bc:scope:district", "bc:val:1"], ["Pak Rahmat"], id="district-sambaliung"),
        pytest.param(["bc:scope:sector", "bc:val:0"], ["Bu Sari", "Budi", "Tom"], id="fishing"),
        pytest.param(["bc:scope:sector", "bc:val:1"], ["Pak Rahmat"], id="plantation"),
        pytest.param(
            ["bc:scope:all", "bc:roles", "bc:roles:kader"], ["Bu Sari", "Pak Rahmat"], id="kader"
        ),
        pytest.param(
            ["bc:scope:all", "bc:roles", "bc:roles:workers"], ["Budi", "Tom"], id="workers"
        ),
        pytest.param(["bc:scope:all", "bc:lang", "bc:lang:en"], ["Tom"], id="english"),
        pytest.param(
            ["bc:scope:all", "bc:lang", "bc:lang:id"], ["Bu Sari", "Budi", "Pak Rahmat"], id="id"
        ),
        pytest.param(
            [
                "bc:scope:regency",
                "bc:val:1",
                "bc:roles",
                "bc:roles:workers",
                "bc:lang",
                "bc:lang:id",
            ],
            ["Budi"],
            id="combined",
        ),
    ],
)
async def test_each_audience_reaches_exactly_its_people_and_never_kutai_timur(
    world: World,
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
    taps: list[str],
    expected: list[str],
) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, *taps)
    assert preview_total(andi) == len(expected)
    broadcast_id = await send(andi, rows)
    assert await advance(database, texts, tmp_path, clock) == len(expected)
    assert queued_names(rows, broadcast_id) == expected


async def test_the_options_list_only_what_the_officer_covers(world: World, engine: Engine) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:all")
    expected = {
        "bc:scope:regency": ("broadcast.ask_regency", ["Berau", "Kota Bontang"]),
        "bc:scope:district": ("broadcast.ask_district", ["Bontang Utara", "Sambaliung"]),
        "bc:scope:sector": ("broadcast.ask_sector", ["Nelayan", "Sawit"]),
        "bc:scope:groups": (
            "broadcast.ask_groups",
            ["Nelayan Bontang Kuala", "Pekerja Sawit Sambaliu"],  # cut to fit a button
        ),
    }
    for scope, (key, options) in expected.items():
        await andi.tap("bc:audience")
        assert andi.keys == ["broadcast.ask_scope"]
        assert "2 kelompok" in andi.last[0].text, "Kutai Timur is not counted"
        await andi.tap(scope)
        assert andi.keys == [key]
        assert labels(andi) == options
        assert not any("Kutai" in label or "Sangatta" in label for label in labels(andi))
        await andi.tap("bc:val:0" if scope != "bc:scope:groups" else f"bc:grp:{world.fishermen}")
        if scope == "bc:scope:groups":
            await andi.tap("bc:grp:done")
        assert andi.keys == ["broadcast.preview"]


async def test_groups_are_toggled_on_and_off_before_done(
    world: World,
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    andi = person(engine, "andi")
    await write(andi)
    await andi.tap("bc:scope:groups")
    assert andi.keys == ["broadcast.ask_groups"]
    assert "bc:grp:done" not in andi.tokens, "nothing chosen yet"
    await andi.tap(f"bc:grp:{world.fishermen}")
    await andi.tap(f"bc:grp:{world.plantation}")
    assert labels(andi) == ["✓ Nelayan Bontang Kuala", "✓ Pekerja Sawit Sambaliu", "Selesai (2)"]
    await andi.tap(f"bc:grp:{world.fishermen}")  # changed his mind
    assert labels(andi) == ["Nelayan Bontang Kuala", "✓ Pekerja Sawit Sambaliu", "Selesai (1)"]
    await andi.tap("bc:grp:done")
    assert andi.keys == ["broadcast.preview"]
    assert "Pekerja Sawit Sambaliung (1 kelompok)" in andi.last[0].text
    assert preview_total(andi) == 1
    broadcast_id = await send(andi, rows)
    await advance(database, texts, tmp_path, clock)
    assert queued_names(rows, broadcast_id) == ["Pak Rahmat"]


async def test_the_english_speaker_gets_the_message_in_english(
    world: World,
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:regency", "bc:val:1")
    await send(andi, rows)
    sender = ScriptedSender()
    await run_scheduler(database, texts, tmp_path, clock, sender)
    messages = {ref: reply for ref, reply in sender.replies if reply.key == "broadcast.message"}
    assert set(messages) == {"demo:sari", "demo:budi", "t:tom"}
    assert "Pak Andi, health officer" in messages["t:tom"].text
    assert [c.label for c in messages["t:tom"].choices] == ["Reply"]
    assert "Pak Andi, petugas kesehatan" in messages["demo:budi"].text


# -- 3. scope holds whatever the tokens or the stored audience say ------------------------------
async def test_forged_scope_tokens_are_refused_and_change_nothing(
    world: World, engine: Engine, rows: RowCounter
) -> None:
    andi = person(engine, "andi")
    await write(andi)
    await andi.tap("bc:scope:groups")
    await andi.tap(f"bc:grp:{world.kutai_timur}")
    assert andi.keys == ["common.choice_not_offered", "broadcast.ask_groups"]
    flow, step, draft = session_of(rows, andi)
    assert (flow, step) == ("broadcast", "scope_value")
    assert Audience.model_validate(draft["audience"]) == Audience(scope=Scope.GROUPS)
    await andi.say(f"bc:grp:{world.kutai_timur}")  # typed rather than tapped
    assert andi.keys == ["common.pick_option", "broadcast.ask_groups"]
    await andi.tap("bc:grp:done")
    assert andi.keys == ["common.choice_not_offered", "broadcast.ask_groups"], "none chosen yet"

    await andi.tap(f"bc:grp:{world.plantation}")
    await andi.tap("bc:grp:done")
    await andi.tap("bc:audience")
    await andi.tap("bc:scope:regency")
    await andi.tap("bc:val:99")
    assert andi.keys == ["common.choice_not_offered", "broadcast.ask_regency"]
    await andi.say("Kutai Timur")
    assert andi.keys == ["common.pick_option", "broadcast.ask_regency"]
    stored = session_of(rows, andi)[2]["audience"]
    assert Audience.model_validate(stored) == Audience(scope=Scope.REGENCY)
    await andi.tap("bc:val:0")
    assert andi.keys == ["broadcast.preview"]
    assert preview_total(andi) == 1
    assert rows("SELECT COUNT(*) FROM broadcasts") == [(0,)]


@pytest.mark.parametrize(
    ("scope", "values", "expected"),
    [
        pytest.param("groups", ["kutai_timur"], [], id="only-out-of-scope-group"),
        pytest.param("groups", ["kutai_timur", "plantation"], ["Pak Rahmat"], id="mixed-groups"),
        pytest.param("regency", ["Kutai Timur"], [], id="out-of-scope-regency"),
        pytest.param("district", ["Kutai Timur|Sangatta Selatan"], [], id="district"),
        pytest.param("sector", ["nelayan"], ["Bu Sari", "Budi", "Tom"], id="sector"),
    ],
)
async def test_a_stored_audience_beyond_the_authors_scope_queues_nobody_outside_it(
    world: World,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
    scope: str,
    values: list[str],
    expected: list[str],
) -> None:
    ids = {"kutai_timur": world.kutai_timur, "plantation": world.plantation}
    stored = [str(ids[value]) if value in ids else value for value in values]
    async with database.unit_of_work() as uow:
        andi = await uow.users.by_platform(Channel.TERMINAL, "demo:andi")
        assert andi is not None
        broadcast_id = await uow.broadcasts.create(
            author_id=andi.id,
            audience={"scope": scope, "values": stored, "roles": "all", "language": "all"},
            text=MESSAGE,
            photo=None,
            send_at=clock(),
            now=clock(),
        )
    assert await advance(database, texts, tmp_path, clock) == len(expected)
    assert queued_names(rows, broadcast_id) == expected
    assert not rows(
        "SELECT 1 FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE users.name IN ('Pak Yusuf', 'Wati')"
    )


async def test_a_grant_revoked_before_sending_narrows_the_broadcast(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:all")
    assert preview_total(andi) == 3
    broadcast_id = await send(andi, rows)
    async with database.unit_of_work() as uow:
        user = await uow.users.by_platform(Channel.TERMINAL, "demo:andi")
        assert user is not None
        (berau,) = [g for g in await uow.roles.active(user.id) if g.regency == "Berau"]
        assert await uow.roles.revoke(berau.id, clock())
    assert await advance(database, texts, tmp_path, clock) == 2
    assert queued_names(rows, broadcast_id) == ["Bu Sari", "Budi"]


# -- 4. a kader, and a worker ------------------------------------------------------------------
async def test_a_kader_writes_to_her_own_group_without_choosing_an_audience(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    sari = person(engine, "sari")
    await sari.say("/siaran")
    await sari.say("Pertemuan rutin diundur ke hari Kamis.")
    assert sari.keys == ["broadcast.ask_photo"]
    await sari.tap("bc:nophoto")
    assert sari.keys == ["broadcast.preview"], "no scope step for one group"
    preview = sari.last[0].text
    assert "Bu Sari, kader Nelayan Bontang Kuala" in preview
    assert "Nelayan Bontang Kuala (1 kelompok)" in preview
    assert preview_total(sari) == 1
    assert "bc:audience" not in sari.tokens
    await sari.tap("bc:audience")
    assert sari.keys == ["common.choice_not_offered", "broadcast.preview"]

    broadcast_id = await send(sari, rows)
    sender = ScriptedSender()
    await run_scheduler(database, texts, tmp_path, clock, sender)
    assert broadcast_recipients(sender) == {"demo:budi": 1}
    assert queued_names(rows, broadcast_id) == ["Budi"]


async def test_a_worker_may_not_broadcast(engine: Engine, rows: RowCounter) -> None:
    budi = person(engine, "budi")
    await budi.say("/siaran")
    assert budi.keys == ["access.denied", "menu.title"]
    await budi.say("/siaran riwayat")
    assert budi.keys == ["access.denied", "menu.title"]
    await budi.tap("bc:send")
    assert budi.keys[0] == "common.choice_not_offered"
    assert session_of(rows, budi)[0] == "menu"
    assert rows("SELECT COUNT(*) FROM broadcasts") == [(0,)]
    assert rows("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'broadcast%'") == [(0,)]


# -- 5. bad input --------------------------------------------------------------------------------
async def test_an_empty_or_overlong_message_is_asked_for_again(
    engine: Engine, rows: RowCounter
) -> None:
    andi = person(engine, "andi")
    await andi.say("/siaran")
    await andi.say("   ")
    assert andi.keys == ["broadcast.text_needed", "broadcast.ask_text"]
    await andi.say("x" * 901)
    assert andi.keys == ["broadcast.text_too_long", "broadcast.ask_text"]
    assert "901 huruf" in andi.last[0].text
    assert "900" in andi.last[0].text
    flow, step, draft = session_of(rows, andi)
    assert (flow, step) == ("broadcast", "compose")
    assert "text" not in draft
    await andi.say("x" * 900)
    assert andi.keys == ["broadcast.ask_photo"], "900 letters is the limit, and fits"


async def test_a_wrong_answer_at_the_preview_keeps_the_draft(
    engine: Engine, rows: RowCounter
) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:regency", "bc:val:0")
    await andi.say("terserah")
    assert andi.keys == ["common.pick_option", "broadcast.preview"]
    assert MESSAGE in andi.last[1].text
    assert preview_total(andi) == 1
    await andi.tap("bc:edit")
    assert andi.keys == ["broadcast.ask_text"]
    await andi.say("Pesan yang sudah diperbaiki.")
    assert andi.keys == ["broadcast.preview"], "the audience is kept: straight to the preview"
    assert preview_total(andi) == 1
    await send(andi, rows)
    assert rows("SELECT text, audience FROM broadcasts") == [
        (
            "Pesan yang sudah diperbaiki.",
            json.dumps(Audience(scope=Scope.REGENCY, values=("Berau",)).model_dump(mode="json")),
        )
    ]


async def test_dropping_at_the_preview_stores_nothing(engine: Engine, rows: RowCounter) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:all")
    await andi.tap("bc:drop")
    assert andi.keys == ["common.cancelled", "menu.title"]
    assert rows("SELECT COUNT(*) FROM broadcasts") == [(0,)]
    assert rows("SELECT COUNT(*) FROM audit_log") == [(0,)]


# -- 6. scheduling ---------------------------------------------------------------------------------
async def test_a_scheduled_broadcast_waits_for_its_time(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:all")
    await andi.tap("bc:later")
    assert andi.keys == ["broadcast.ask_when"]
    await andi.say("besok")
    assert andi.keys == ["activity.when_no_time", "broadcast.ask_when"]
    await andi.say("besok jam 8")
    assert andi.keys == ["broadcast.preview"]
    assert "Dikirim: Selasa 24-11-2026 08:00 WITA" in andi.last[0].text
    broadcast_id = await send(andi, rows)
    assert andi.keys == ["broadcast.scheduled", "menu.title"]
    assert "Selasa 24-11-2026 08:00 WITA" in andi.last[0].text
    assert rows("SELECT status, send_at FROM broadcasts") == [("scheduled", TOMORROW_8.isoformat())]

    clock.now = TOMORROW_8 - dt.timedelta(minutes=1)
    assert await advance(database, texts, tmp_path, clock) == 0
    assert queued_names(rows, broadcast_id) == []
    assert rows("SELECT status FROM broadcasts") == [("scheduled",)]
    clock.now = TOMORROW_8
    assert await advance(database, texts, tmp_path, clock) == 3
    assert queued_names(rows, broadcast_id) == sorted(EVERYONE)
    assert rows("SELECT status FROM broadcasts") == [("sending",)]


async def test_send_now_after_all_clears_the_time(engine: Engine, rows: RowCounter) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:all")
    await andi.tap("bc:later")
    await andi.say("besok jam 8")
    await andi.tap("bc:later")
    await andi.tap("bc:now")
    assert "Dikirim: sekarang" in andi.last[0].text
    await send(andi, rows)
    assert andi.keys[0] == "broadcast.queued"
    assert rows("SELECT send_at FROM broadcasts") == [("2026-11-23T01:00:00+00:00",)]


# -- 7. answers ----------------------------------------------------------------------------------
async def sent_to_bontang(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> int:
    """Pak Andi's broadcast to Kota Bontang, delivered; its id."""
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:regency", "bc:val:1")
    broadcast_id = await send(andi, rows)
    sender = ScriptedSender()
    await run_scheduler(database, texts, tmp_path, clock, sender)
    assert broadcast_recipients(sender) == {"demo:sari": 1, "demo:budi": 1}
    return broadcast_id


def answer_notices(rows: RowCounter) -> list[tuple[object, ...]]:
    return rows(
        "SELECT users.name, outbox.payload FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'broadcast_answer'"
    )


async def test_a_recipient_answers_and_the_author_reads_it_in_the_inbox(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    broadcast_id = await sent_to_bontang(engine, database, texts, clock, rows, tmp_path)
    budi = person(engine, "budi")
    await budi.tap(f"bc:{broadcast_id}:reply")
    assert budi.keys == ["broadcast.ask_answer"]
    assert "Pak Andi" in budi.last[0].text
    await budi.say("Siap pak, saya datang.")
    assert budi.keys == ["broadcast.answer_sent", "menu.title"]
    clock.advance(minutes=20)
    await budi.tap(f"bc:{broadcast_id}:reply")
    await budi.say("Boleh bawa istri?")
    assert budi.keys == ["broadcast.answer_sent", "menu.title"]
    assert rows("SELECT broadcast_id, text, read_at FROM broadcast_replies ORDER BY id") == [
        (broadcast_id, "Siap pak, saya datang.", None),
        (broadcast_id, "Boleh bawa istri?", None),
    ]
    ((name, payload),) = answer_notices(rows)
    assert name == "Pak Andi", "one notice for answers within the hour"
    assert json.loads(str(payload))["key"] == "broadcast.answers_waiting"

    andi = person(engine, "andi")
    await andi.say("/siaran")
    assert "Kotak masuk (2)" in labels(andi)
    await andi.say("/siaran masuk")
    assert andi.keys == ["broadcast.inbox"]
    inbox = andi.last[0].text
    assert "Budi (Nelayan Bontang Kuala)" in inbox
    assert inbox.index("Boleh bawa istri?") < inbox.index("Siap pak, saya datang."), "newest first"
    assert inbox.count("🆕") == 2
    assert rows("SELECT COUNT(*) FROM broadcast_replies WHERE read_at IS NULL") == [(0,)]
    await andi.say("/siaran masuk")
    assert "🆕" not in andi.last[0].text
    await andi.say("/siaran")
    assert "Kotak masuk (0)" in labels(andi)


async def test_an_answer_can_be_cancelled_or_must_have_words(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    broadcast_id = await sent_to_bontang(engine, database, texts, clock, rows, tmp_path)
    sari = person(engine, "sari")
    await sari.tap(f"bc:{broadcast_id}:reply")
    await sari.say("   ")
    assert sari.keys == ["broadcast.answer_needed", "broadcast.ask_answer"]
    await sari.tap("bc:ans:cancel")
    assert sari.keys == ["common.cancelled", "menu.title"]
    assert rows("SELECT COUNT(*) FROM broadcast_replies") == [(0,)]
    assert answer_notices(rows) == []


async def test_only_recipients_can_answer(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    broadcast_id = await sent_to_bontang(engine, database, texts, clock, rows, tmp_path)
    for name in ("rahmat", "andi"):  # outside the audience, and the author himself
        someone = person(engine, name)
        await someone.tap(f"bc:{broadcast_id}:reply")
        assert someone.keys == ["common.choice_not_offered", "menu.title"], name
    assert rows("SELECT COUNT(*) FROM broadcast_replies") == [(0,)]
    assert answer_notices(rows) == []


async def test_answers_across_a_clock_hour_still_bring_one_notice(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    broadcast_id = await sent_to_bontang(engine, database, texts, clock, rows, tmp_path)
    clock.now = clock.now.replace(minute=59)
    budi = person(engine, "budi")
    await budi.tap(f"bc:{broadcast_id}:reply")
    await budi.say("Siap pak.")
    clock.advance(minutes=2)  # past the full hour, well within an hour of the first notice
    await budi.tap(f"bc:{broadcast_id}:reply")
    await budi.say("Jam berapa?")
    assert len(answer_notices(rows)) == 1
    clock.advance(minutes=60)
    await budi.tap(f"bc:{broadcast_id}:reply")
    await budi.say("Sudah sampai.")
    assert len(answer_notices(rows)) == 2, "a new notice once the hour has passed"


async def test_nobody_answers_a_broadcast_that_never_reached_them(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:all")
    broadcast_id = await send(andi, rows)
    await advance(database, texts, tmp_path, clock)  # queued, with the answer button offered...
    await andi.tap(f"bc:{broadcast_id}:cancel")  # ...but cancelled before delivery
    budi = person(engine, "budi")
    await budi.tap(f"bc:{broadcast_id}:reply")
    assert budi.keys == ["broadcast.not_found", "menu.title"]
    assert rows("SELECT COUNT(*) FROM broadcast_replies") == [(0,)]


# -- 8. pause, cancel, history -------------------------------------------------------------------
async def test_the_author_pauses_and_cancels_and_the_history_shows_it(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:all")
    broadcast_id = await send(andi, rows)
    assert await advance(database, texts, tmp_path, clock) == 3
    await andi.tap(f"bc:{broadcast_id}:pause")
    assert andi.keys == ["broadcast.pause_done", "menu.title"]
    assert rows("SELECT status FROM broadcasts") == [("paused",)]
    sender = ScriptedSender()
    await drain(database, clock, sender)
    assert broadcast_recipients(sender) == {}, "paused: nothing of it goes out"

    budi = person(engine, "budi")
    await budi.tap(f"bc:{broadcast_id}:cancel")
    assert budi.keys[0] == "common.choice_not_offered"
    assert rows("SELECT status FROM broadcasts") == [("paused",)]

    await andi.tap(f"bc:{broadcast_id}:cancel")
    assert andi.keys == ["broadcast.cancel_done", "menu.title"]
    assert "Dibatalkan sebelum terkirim: 3" in andi.last[0].text
    assert rows("SELECT status FROM broadcasts") == [("cancelled",)]
    assert rows(
        "SELECT status, last_error, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY 1, 2",
        broadcast_id,
    ) == [("failed", CANCELLED, 3)]
    await andi.tap(f"bc:{broadcast_id}:resume")
    assert andi.keys == ["broadcast.not_now", "menu.title"]
    assert rows("SELECT status FROM broadcasts") == [("cancelled",)]
    await run_scheduler(database, texts, tmp_path, clock, sender)
    assert broadcast_recipients(sender) == {}, "nothing more after the cancel"
    actions = rows("SELECT action FROM audit_log ORDER BY id")
    assert actions == [("broadcast",), ("broadcast-pause",), ("broadcast-cancel",)]

    await andi.say("/siaran riwayat")
    assert andi.keys == ["broadcast.history"]
    assert f"#{broadcast_id}" in andi.last[0].text
    assert "dibatalkan" in andi.last[0].text
    assert andi.tokens == [f"bc:show:{broadcast_id}", "bc:new"]
    await andi.tap(f"bc:show:{broadcast_id}")
    assert andi.keys == ["broadcast.detail"]
    detail = andi.last[0].text
    assert "Dari: Pak Andi" in detail
    assert MESSAGE in detail
    assert "dibatalkan" in detail
    assert "Dibatalkan sebelum terkirim: 3" in detail
    assert andi.tokens == ["bc:back"], "no controls left for a cancelled broadcast"
    await andi.tap("bc:back")
    assert andi.keys == ["broadcast.history"]


async def test_the_detail_offers_the_controls_and_others_see_no_history(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    andi = person(engine, "andi")
    await compose(andi, MESSAGE, "bc:scope:all")
    broadcast_id = await send(andi, rows)
    await advance(database, texts, tmp_path, clock)
    await andi.say("/siaran riwayat")
    await andi.tap(f"bc:show:{broadcast_id}")
    assert "sedang dikirim" in andi.last[0].text
    assert andi.tokens == [f"bc:{broadcast_id}:pause", f"bc:{broadcast_id}:cancel", "bc:back"]
    await andi.tap(f"bc:{broadcast_id}:pause")
    assert andi.keys == ["broadcast.pause_done", "broadcast.detail"]
    assert andi.tokens[-3:] == [f"bc:{broadcast_id}:resume", f"bc:{broadcast_id}:cancel", "bc:back"]
    assert rows("SELECT status FROM broadcasts") == [("paused",)]

    sari = person(engine, "sari")  # a kader, who may broadcast, but this one is not hers
    await sari.say("/siaran riwayat")
    assert sari.keys == ["broadcast.history_empty"]
    await sari.tap(f"bc:show:{broadcast_id}")
    assert sari.keys == ["common.choice_not_offered", "broadcast.history_empty"]
    await sari.tap(f"bc:{broadcast_id}:resume")
    assert sari.keys[0] == "common.choice_not_offered"
    assert rows("SELECT status FROM broadcasts") == [("paused",)]
