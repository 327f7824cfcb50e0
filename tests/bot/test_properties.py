"""Property-based tests: whatever anyone sends, in whatever shape, the engine and the chat-app
adapters answer sanely or refuse cleanly, and nobody's data but the sender's own changes.

Every example starts from a copy of one world built through the real engine: Budi (fishermen)
and Wati (plantation) each reported an injury, Bu Sari's weekly meeting has its reminders out,
Pak Rahmat's broadcast went to Wati, and Bu Sari left her list of reports open. Their buttons
(alerts, follow-ups, reminders, broadcast controls) are all there to be pressed by the wrong
person.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, TypeAdapter, ValidationError

from bot.app.demo import FISHERMEN_CODE, PLANTATION_CODE, persona_id, seed_demo
from bot.base.models import MAX_TEXT_CHARS, Channel, ChoiceToken, Inbound, Location, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import received
from bot.channels.whatsapp import WhatsAppChannel
from bot.core.engine import Engine
from bot.core.inbox import Inbox
from bot.domain.incident_text import ACTION_EFFECT
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from handlers.commands import RUNS as COMMANDS
from scheduler.broadcasts import advance_broadcasts
from scheduler.reminders import materialise_reminders
from tests.bot.domain.test_permissions import Paced
from tests.conftest import (
    DAY_BEFORE,
    ON_POSTGRESQL,
    FakeClock,
    RowCounter,
    add_meeting,
    new_database,
)
from tests.fakes import telegram_api, whatsapp_api
from tests.fakes.telegram_api import FakeGroupChat, FakeTelegram, FakeUser
from tests.fakes.whatsapp_api import FakeWhatsApp, FakeWhatsAppUser
from tests.postgres import PostgresServer

TEXTS = Texts.load()
KNOWLEDGE = Knowledge.load()


def examples(count: int) -> int:
    """How many examples a property gets: all on SQLite; a fifth on PostgreSQL, where each
    example copies the world into a new database (about half a second). The properties are the
    engine's; the PostgreSQL run is there for the queries, which a few examples reach."""
    return max(3, count // 5) if ON_POSTGRESQL else count


FAST = settings(
    deadline=None,
    phases=[phase for phase in Phase if phase is not Phase.explain],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- the world ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class World:
    database: Path | str
    server: PostgresServer | None
    now: dt.datetime
    tokens: tuple[str, ...]
    """Every token anybody was offered: buttons of their last question and standing offers."""


REPORT = (
    "rep:who:self", "rep:sex:L", "rep:age:unknown", "rep:emp:self_employed", "topic:cut",
    "rep:body:hand", "rep:when:today", None, None, "rep:danger:no", "rep:fa:none", "rep:stop:no",
    "rep:photo:skip", "rep:send",
)  # fmt: skip
"""Taps through a report of one's own cut; None: the first place, then activity, offered (they
differ by sector)."""


async def _report(who: Paced) -> None:
    await who.say("/lapor")
    for token in REPORT:
        await who.tap(token or who.tokens[0])
    assert who.keys[0] == "report.saved", who.keys


async def _build_world(path: Path | str, data_dir: Path) -> dt.datetime:
    database = await Database.open(path)
    try:
        clock = FakeClock()
        await seed_demo(database, clock())
        engine = Engine(
            database, TEXTS, Settings(data_dir=data_dir), KNOWLEDGE, CONVERSATIONS, clock=clock
        )
        wati = Paced(engine, "t:wati")
        await wati.register(name="Wati", code=PLANTATION_CODE)
        await _report(Paced(engine, persona_id("budi")))
        await _report(wati)
        rahmat = Paced(engine, persona_id("rahmat"))
        await rahmat.say("/siaran")
        await rahmat.say("Besok kerja bakti jam 7 pagi.")
        await rahmat.tap("bc:nophoto")
        await rahmat.tap("bc:send")
        assert rahmat.keys[0] == "broadcast.queued", rahmat.keys
        await advance_broadcasts(database, TEXTS, data_dir, clock(), (Channel.TERMINAL,))
        await add_meeting(database, clock)
        clock.now = DAY_BEFORE
        assert await materialise_reminders(database, TEXTS, clock()) > 0
        sari = Paced(engine, persona_id("sari"))
        await sari.say("/laporan")
        assert sari.keys == ["reports.list"], sari.keys
        return clock()
    finally:
        await database.close()


def _offered_tokens(rows: RowCounter) -> tuple[str, ...]:
    standing = [str(t) for (t,) in rows("SELECT token FROM standing_offers")]
    offered = [
        str(choice["token"])
        for (text,) in rows("SELECT offered FROM sessions")
        for choice in json.loads(str(text))
    ]
    return tuple(sorted(set(standing + offered)))


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer | None
) -> World:
    folder = tmp_path_factory.mktemp("property-world")
    target = new_database(postgres_server, folder)
    now = asyncio.run(_build_world(target, folder))
    return World(target, postgres_server, now, _offered_tokens(RowCounter(target)))


@contextlib.asynccontextmanager
async def running(world: World) -> AsyncIterator[tuple[Engine, RowCounter, Path]]:
    """A copy of the world and an engine on it; yields the engine, a reader of the copy and
    the data folder."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        target = new_database(world.server, folder, world.database)
        database = await Database.open(target)
        try:
            clock = FakeClock(world.now)
            engine = Engine(
                database, TEXTS, Settings(data_dir=folder), KNOWLEDGE, CONVERSATIONS, clock=clock
            )
            yield engine, RowCounter(target), folder
        finally:
            await database.close()
            if world.server is not None:
                world.server.drop(str(target))


def check_replies(replies: object) -> None:
    """A list of well-formed replies, each with something to read, none over a message's size."""
    assert isinstance(replies, list)
    for reply in replies:
        assert isinstance(reply, Reply)
        Reply.model_validate(reply.model_dump())
        assert reply.text.strip(), reply.key
        assert len(reply.text) <= MAX_TEXT_CHARS, reply.key


# -- what people send --------------------------------------------------------------------------
VOCABULARY = (
    "menu", "Menu", "MENU", "batal", "cancel", "sos", "SOS", "tolong", "lapor", "bantuan", "help",
    "1", "2", "3", "9", "0", "ya", "tidak", "Ya", "kirim", "lewati", "hadir", "tidak bisa",
    "English", "Indonesia", "setuju", "Budi", "Bu Sari", "Wati", "Pak Rahmat", "BTG7K2",
    "BRU4SW", "btg7k2", "saya sendiri", "orang lain", "tadi jam 7", "kemarin", "31/2",
    "kena kail di jari", "tangan kena duri ikan pari", "sesak napas", "pingsan", "4",
    "0812 3456 7890", "+6281234567890", "dirujuk ke rs", "Kembali", "lainnya", "bulan ini",
)  # fmt: skip
COMMAND_WORDS = (
    *COMMANDS, "start", "menu", "batal", "tautkan", "help", "cancel", "language", "tolong",
    "link", "hubungkan", "lepaskan", "START", "Menu", "x", "a" * 40,
)  # fmt: skip
ODD_TEXTS = (
    "مرحبا، أحتاج مساعدة", "\u202eanoyam", "שלום", "🚑🆘", "👨‍👩‍👧‍👦", "İ", "ß",
    "\uff4d\uff45\uff4e\uff55", "\r\n", "\x1b[31mred", "\x00\x01\x02", "\u200b", "\ufeffmenu",
    "   ", "\t\t", "/", "//", "/ ",
    "/start@PosUkkBot BTG7K2", "/start BTG7K2 BRU4SW", "/lapor\nlapor", "' OR 1=1 --", "%s%n{}",
    "{name}", "<b>x</b>", "1" * 40, "-1", "1.5", "\u0661", "\u2167",
)  # fmt: skip


def _padded(word: str, before: str, after: str) -> str:
    return f"{before}{word}{after}"


def _long(piece: str, length: int) -> str:
    return (piece * (length // len(piece) + 1))[:length]


texts = st.one_of(
    st.text(max_size=60),
    st.sampled_from(VOCABULARY),
    st.builds(
        _padded,
        st.sampled_from(VOCABULARY),
        st.sampled_from(("", " ", "\n", "\t", "\x00", "\u200b", "  ")),
        st.sampled_from(("", " ", "\n", "!", "?", "\x7f", ".")),
    ),
    st.builds(
        "/{}{}".format,
        st.sampled_from(COMMAND_WORDS),
        st.one_of(st.just(""), st.text(max_size=30).map(" {}".format)),
    ),
    st.integers(-10, 1000).map(str),
    st.sampled_from(ODD_TEXTS),
    st.builds(_long, st.text(min_size=1, max_size=6), st.integers(1, MAX_TEXT_CHARS)),
)


KNOWN_TOKENS = (
    "consent:yes", "consent:no", "lang:id", "lang:en", "phone:skip", "code:none", "erase:yes",
    "erase:no", "rv:export", "rv:filter", "rv:back", "bc:send", "bc:nophoto", "bc:ans:cancel",
    "fu:signs:yes", "rep:send", "rep:send_anon", "invalid", "cmd:", ":", "-", ".",
)  # fmt: skip


TOKENS = TypeAdapter(ChoiceToken)


def _valid_token(token: str) -> bool:
    try:
        TOKENS.validate_python(token)
    except ValidationError:
        return False
    return True


def _token_strategy(world: World) -> st.SearchStrategy[str]:
    """Tokens: random ones of the right shape, real ones offered to anybody, and made-up ones
    of every kind the bot uses."""
    ids = st.integers(0, 10**9)
    small = st.integers(0, 5)
    made_up = st.one_of(
        st.sampled_from(KNOWN_TOKENS),
        st.sampled_from(tuple(COMMANDS)).map("cmd:{}".format),
        st.builds("inc:{}:{}".format, small, st.sampled_from(tuple(ACTION_EFFECT))),
        st.builds("fu:{}:{}:{}".format, small, small, st.sampled_from(("better", "same", "worse"))),
        st.builds("rsvp:{}:{}:{}".format, small, ids, st.sampled_from(("yes", "no"))),
        st.builds(
            "bc:{}:{}".format, small, st.sampled_from(("pause", "resume", "cancel", "reply"))
        ),
        st.builds("rv:{}".format, small),
        st.builds("act:c:{}".format, small),
        st.builds("att:o:{}:{}".format, small, ids),
        st.builds("att:u:{}".format, small),
        st.builds("fu:days:{}".format, st.integers(-1, 400)),
        st.sampled_from(tuple(KNOWLEDGE.topics)).map("topic:{}".format),
    )
    shaped = st.from_regex(r"\A[\w:.\-]{1,64}\Z")
    return st.one_of(shaped, made_up, st.sampled_from(world.tokens)).filter(_valid_token)


locations = st.builds(Location, latitude=st.floats(-90, 90), longitude=st.floats(-180, 180))
phones = st.one_of(
    st.text(max_size=32),
    st.from_regex(r"\A\+?[0-9 ()\-]{0,31}\Z"),
    st.sampled_from(("+6281234567890", "081234567890", "0", "+", "62 812-3456-7890")),
)
photo_refs = st.one_of(
    st.text(max_size=512),
    st.sampled_from(("photos/abc.jpg", "../../etc/passwd", "/dev/zero", "", "photos/")),
)


@dataclass(frozen=True)
class Send:
    """One message: `payload` holds exactly one of text, choice, location, contact or photo."""

    payload: Mapping[str, object]
    seconds: int
    """How long after the previous message (a long gap lets sessions and buttons expire)."""


@dataclass(frozen=True)
class Pick:
    """Answer the question just asked by one of its options: tapped, or typed."""

    index: int
    how: Literal["tap", "label", "number"]
    seconds: int


Step = Send | Pick
brief = st.integers(3, 90)
gaps = st.one_of(brief, brief, brief, st.sampled_from((0, 3600, 25 * 3600, 8 * 86400)))


def _step_strategy(world: World) -> st.SearchStrategy[Step]:
    payloads = st.one_of(
        texts.map(lambda text: {"text": text}),
        _token_strategy(world).map(lambda token: {"choice": token}),
        locations.map(lambda location: {"location": location}),
        phones.map(lambda phone: {"contact_phone": phone}),
        photo_refs.map(lambda ref: {"photo_ref": ref}),
    )
    picks = st.builds(
        Pick, st.integers(0, 30), st.sampled_from(("tap", "tap", "label", "number")), gaps
    )
    return st.one_of(st.builds(Send, payloads, gaps), picks, picks)


@dataclass(frozen=True)
class Actor:
    ref: str
    manages: frozenset[str]
    """Join codes of the groups whose reports and activities this person looks after."""


ACTORS = {
    "stranger": Actor("t:newcomer", frozenset()),
    "budi": Actor(persona_id("budi"), frozenset()),
    "sari": Actor(persona_id("sari"), frozenset({FISHERMEN_CODE})),
}


def _resolve(step: Step, last: Sequence[Reply]) -> tuple[dict[str, object], int]:
    """The payload a step sends, given the replies to the previous message."""
    if isinstance(step, Send):
        return dict(step.payload), step.seconds
    choices = [choice for reply in last for choice in reply.choices]
    if not choices:
        return {"text": "menu"}, step.seconds
    number = step.index % len(choices)
    if step.how == "tap":
        return {"choice": choices[number].token}, step.seconds
    if step.how == "label":
        return {"text": choices[number].label}, step.seconds
    return {"text": str(number + 1)}, step.seconds


# -- whose data is whose -----------------------------------------------------------------------
Rows = dict[str, list[dict[str, Any]]]
TABLES = (
    "users", "memberships", "role_grants", "sessions", "rsvps", "attendance", "activity_records",
    "activities", "incidents", "incident_events", "broadcasts", "broadcast_replies", "pos_groups",
    "activity_days",
)  # fmt: skip


def dump(rows: RowCounter, tables: Sequence[str] = TABLES) -> Rows:
    return {table: rows.records(table) for table in tables}


def whole_database(rows: RowCounter) -> Rows:
    """Every table but the flood guard's counts, which count every message, a repeat too (as
    its memory does on SQLite)."""
    return dump(rows, [table for table in rows.tables() if table != "flood_counts"])


@dataclass
class Ownership:
    """What belongs to the sender, learnt as the conversation goes (a stranger gets a user id
    when registering, and a new one after erasing themselves and coming back)."""

    actor: Actor
    user_ids: set[int]
    incident_ids: set[int]
    managed_groups: set[int]

    def learn(self, rows: Rows) -> None:
        self.user_ids |= {
            u["id"]
            for u in rows["users"]
            if u["channel"] == Channel.TERMINAL and u["platform_id"] == self.actor.ref
        }
        self.incident_ids |= {
            i["id"] for i in rows["incidents"] if i["reporter_id"] in self.user_ids
        }
        self.managed_groups |= {
            g["id"] for g in rows["pos_groups"] if g["join_code"] in self.actor.manages
        }

    def roles(self, rows: Rows) -> set[tuple[str, int | None, str | None]]:
        """The roles the sender holds now."""
        return {
            (g["role"], g["group_id"], g["regency"])
            for g in rows["role_grants"]
            if g["user_id"] in self.user_ids and g["revoked_at"] is None
        }

    def erased(self, rows: Rows) -> bool:
        return any(u["id"] in self.user_ids and u.get("erased_at") for u in rows["users"])

    def others(self, rows: Rows, *, session_texts: bool = True) -> dict[str, list[str]]:
        """Everyone else's rows: what the sender may not change, whatever they send."""
        mine, managed = self.user_ids, self.managed_groups
        group_of = {a["id"]: a["group_id"] for a in rows["activities"]}
        author_of = {b["id"]: b["author_id"] for b in rows["broadcasts"]}
        compared = {
            i["id"]
            for i in rows["incidents"]
            if i["id"] not in self.incident_ids and i["group_id"] not in managed
        }
        keep: dict[str, Callable[[dict[str, Any]], bool]] = {
            "users": lambda r: r["id"] not in mine,
            "memberships": lambda r: r["user_id"] not in mine,
            "role_grants": lambda r: r["user_id"] not in mine,
            "sessions": lambda r: r["platform_id"] != self.actor.ref,
            "rsvps": lambda r: r["user_id"] not in mine,
            "attendance": lambda r: (
                r["user_id"] not in mine and group_of.get(r["activity_id"]) not in managed
            ),
            "activity_records": lambda r: group_of.get(r["activity_id"]) not in managed,
            "activities": lambda r: r["group_id"] not in managed,
            "incidents": lambda r: r["id"] in compared,
            "incident_events": lambda r: r["incident_id"] in compared,
            "broadcasts": lambda r: r["author_id"] not in mine,
            "broadcast_replies": lambda r: (
                r["user_id"] not in mine and author_of.get(r["broadcast_id"]) not in mine
            ),
            "pos_groups": lambda r: r["id"] not in managed,
            "activity_days": lambda r: r["user_id"] not in mine,
        }
        found: dict[str, list[str]] = {}
        for table, rule in keep.items():
            records = [dict(r) for r in rows[table] if rule(r)]
            if table == "sessions" and not session_texts:
                for record in records:
                    record.pop("draft")
                    record.pop("offered")
            found[table] = sorted(repr(sorted(r.items())) for r in records)
        return found


# -- 1. any sequence of messages ---------------------------------------------------------------
async def converse(world: World, actor: Actor, steps: Sequence[Step]) -> None:
    async with running(world) as (engine, rows, _folder):
        clock = engine.clock
        assert isinstance(clock, FakeClock)
        owned = Ownership(actor, set(), set(), set())
        last: list[Reply] = []
        for step in steps:
            payload, seconds = _resolve(step, last)
            clock.advance(seconds=seconds)
            before = dump(rows)
            owned.learn(before)
            inbound = Inbound.model_validate(
                {
                    "channel": Channel.TERMINAL,
                    "user_ref": actor.ref,
                    "message_id": uuid.uuid4().hex,
                    "received_at": clock(),
                    **payload,
                }
            )
            last = await engine.handle(inbound)
            check_replies(last)
            after = dump(rows)
            owned.learn(after)
            # Erasing oneself takes one's name off the buttons in others' open screens: by
            # design, and only for the person erased (see the namesake test at the end).
            texts_too = not (owned.erased(after) and not owned.erased(before))
            assert owned.others(after, session_texts=texts_too) == owned.others(
                before, session_texts=texts_too
            ), (payload, [r.key for r in last])
            assert owned.roles(after) <= owned.roles(before), "nobody grants themselves a role"


@pytest.mark.parametrize("who", sorted(ACTORS))
@settings(FAST, max_examples=examples(25))
@given(data=st.data())
def test_any_messages_get_sane_replies_and_touch_nobody_elses_data(
    world: World, who: str, data: st.DataObject
) -> None:
    steps = data.draw(st.lists(_step_strategy(world), min_size=1, max_size=14))
    asyncio.run(converse(world, ACTORS[who], steps))


# -- 2. a message seen twice -------------------------------------------------------------------
async def repeat(
    world: World, actor: Actor, steps: Sequence[Step], again: int, other: Step
) -> None:
    async with running(world) as (engine, rows, _folder):
        clock = engine.clock
        assert isinstance(clock, FakeClock)
        sent: list[Inbound] = []
        last: list[Reply] = []
        for step in steps:
            payload, seconds = _resolve(step, last)
            clock.advance(seconds=seconds)
            inbound = Inbound.model_validate(
                {
                    "channel": Channel.TERMINAL,
                    "user_ref": actor.ref,
                    "message_id": uuid.uuid4().hex,
                    "received_at": clock(),
                    **payload,
                }
            )
            sent.append(inbound)
            last = await engine.handle(inbound)
        clock.advance(seconds=30)
        before = whole_database(rows)
        first = sent[again % len(sent)]
        assert await engine.handle(first) == []
        payload, _ = _resolve(other, last)
        assert await engine.handle(first.model_copy(update={**_cleared(), **payload})) == []
        assert whole_database(rows) == before


def _cleared() -> dict[str, None]:
    return dict.fromkeys(("text", "choice", "location", "contact_phone", "photo_ref"))


@settings(FAST, max_examples=examples(20))
@given(data=st.data())
def test_a_repeated_message_id_gets_no_answer_and_changes_nothing(
    world: World, data: st.DataObject
) -> None:
    actor = ACTORS[data.draw(st.sampled_from(sorted(ACTORS)))]
    steps = data.draw(st.lists(_step_strategy(world), min_size=1, max_size=8))
    again = data.draw(st.integers(0, 100))
    other = data.draw(_step_strategy(world))
    asyncio.run(repeat(world, actor, steps, again, other))


# -- 3. inbounds of any shape ------------------------------------------------------------------
def _now_ish() -> st.SearchStrategy[object]:
    return st.one_of(
        st.datetimes(timezones=st.just(dt.UTC)),
        st.datetimes(),  # naive
        st.datetimes(timezones=st.just(dt.timezone(dt.timedelta(hours=8)))),
        st.text(max_size=30),
        st.sampled_from(("2026-11-23T01:00:00Z", "2026-11-23T01:00:00", "yesterday", "")),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=True),
        st.none(),
    )


anything = st.one_of(st.none(), st.integers(), st.floats(), st.booleans(), st.text(max_size=20))
ODD_FIELDS: dict[str, st.SearchStrategy[object]] = {
    "channel": st.one_of(st.sampled_from([c.value for c in Channel]), anything),
    "user_ref": st.one_of(
        st.sampled_from(("demo:budi", "demo:sari", "t:someone", "")),
        st.text(max_size=140),
        anything,
    ),
    "message_id": st.one_of(st.uuids().map(str), st.text(max_size=140), anything),
    "received_at": _now_ish(),
    "text": st.one_of(
        texts,
        st.builds(_long, st.just("x"), st.integers(MAX_TEXT_CHARS, MAX_TEXT_CHARS + 10)),
        anything,
        st.lists(st.text(max_size=5), max_size=2),
    ),
    "choice": st.one_of(st.text(max_size=80), anything),
    "location": st.one_of(
        st.fixed_dictionaries(
            {},
            optional={"latitude": st.floats(), "longitude": st.floats(), "x": st.integers()},
        ),
        anything,
        st.tuples(st.floats(), st.floats()),
    ),
    "contact_phone": st.one_of(st.text(max_size=40), anything),
    "photo_ref": st.one_of(st.text(max_size=600), anything),
    "extra": anything,
}
"""Each field of an inbound, with odd values of every kind (and one field the model lacks)."""
plain = st.fixed_dictionaries(
    {
        "channel": st.sampled_from([c.value for c in Channel]),
        "user_ref": st.sampled_from(("demo:budi", "demo:sari", "t:someone")),
        "message_id": st.uuids().map(str),
        "received_at": st.datetimes(timezones=st.just(dt.UTC)),
        "text": texts,
    }
)
odd_fields = st.lists(st.sampled_from(tuple(ODD_FIELDS)), min_size=1, max_size=2, unique=True)


def _altered(
    base: dict[str, object], changed: dict[str, object], dropped: list[str]
) -> dict[str, object]:
    return {k: v for k, v in (base | changed).items() if k not in dropped}


shapes = st.one_of(
    st.fixed_dictionaries({}, optional=ODD_FIELDS),
    st.builds(
        _altered,
        plain,
        odd_fields.flatmap(lambda names: st.fixed_dictionaries({n: ODD_FIELDS[n] for n in names})),
        st.lists(st.sampled_from(tuple(ODD_FIELDS)), max_size=1),
    ),
)
"""Dicts of any fields, and plain valid inbounds with a field or two changed or left out."""


async def feed(world: World, raws: Sequence[dict[str, object]]) -> int:
    """Validate each shape; hand the valid ones to the engine. How many were valid."""
    valid = 0
    seen: set[tuple[Channel, str]] = set()
    async with running(world) as (engine, _, _):
        for raw in raws:
            try:
                inbound = Inbound.model_validate(raw)
            except ValidationError:
                continue
            valid += 1
            replies = await engine.handle(inbound)
            check_replies(replies)
            if (inbound.channel, inbound.message_id) in seen:
                assert replies == []
            seen.add((inbound.channel, inbound.message_id))
    return valid


@settings(FAST, max_examples=examples(60))
@given(raws=st.lists(shapes, min_size=1, max_size=4))
def test_inbound_of_any_shape_is_refused_or_handled(
    world: World, raws: list[dict[str, object]]
) -> None:
    asyncio.run(feed(world, raws))


def test_inbound_shapes_include_valid_ones(world: World) -> None:
    """The shapes above are not all refused: a handful of plain valid ones go through."""
    raws: list[dict[str, object]] = [
        {
            "channel": channel,
            "user_ref": ref,
            "message_id": uuid.uuid4().hex,
            "received_at": world.now,
            "text": "menu",
        }
        for channel in ("terminal", "telegram", "whatsapp")
        for ref in ("demo:budi", "t:someone")
    ]
    assert asyncio.run(feed(world, raws)) == len(raws)


# -- 4. Telegram updates of any shape ----------------------------------------------------------
TG_PERSON = FakeUser(8101, "Rudi")
TG_GROUP = FakeGroupChat(-5001, "Nelayan Bontang")


def _utf16_fits(text: str) -> bool:
    return len(text.encode("utf-16-le")) // 2 <= MAX_TEXT_CHARS


@dataclass(frozen=True)
class TgMessage:
    """Someone writes: in private or in a group, with text, a location, a contact, a photo,
    or something the bot does not take (a sticker); with or without a sender; or edits it."""

    chat: Literal["private", "group", "channel"]
    content: Mapping[str, object]
    sender: bool
    edit_earlier: bool


@dataclass(frozen=True)
class TgPress:
    """A press on one of the bot's messages to the person: on one of its buttons, or with
    made-up data (a modified client), or without any (a game button)."""

    message: int
    button: int | None
    data: str | None


@dataclass(frozen=True)
class TgMembership:
    """The bot's own membership changes: added to or removed from a group chat, or blocked
    (and unblocked) by the person in private."""

    chat: Literal["private", "group"]
    status: Literal["member", "administrator", "left", "kicked"]


TgEvent = TgMessage | TgPress | TgMembership
tg_texts = st.one_of(texts.filter(lambda t: bool(t.strip())), st.text(min_size=1)).filter(
    _utf16_fits
)
tg_contents = st.one_of(
    tg_texts.map(lambda text: {"text": text}),
    st.builds(
        lambda lat, lon: {"location": {"latitude": lat, "longitude": lon}},
        st.floats(-90, 90),
        st.floats(-180, 180),
    ),
    st.builds(
        lambda phone: {"contact": {"phone_number": phone, "first_name": "Rudi"}},
        st.text(min_size=1, max_size=40),
    ),
    st.binary(min_size=1, max_size=64).map(lambda content: {"photo": content}),
    st.just({"sticker": True}),
    st.just({}),
)
button_data = st.one_of(
    st.text(min_size=1, max_size=64),
    st.from_regex(r"\A[\w:.\-]{1,60}\Z").map("{}\n".format),
    st.sampled_from(("cmd:menu", "cmd:daftargrup <script>", "inc:1:closed", "\U000118ea")),
).filter(lambda data: len(data.encode()) <= 64)
"""Telegram's callback data: 1 to 64 bytes, from a button, or made up by a modified client."""
tg_events: st.SearchStrategy[TgEvent] = st.one_of(
    st.builds(
        TgMessage,
        st.sampled_from(("private", "private", "private", "group", "channel")),
        tg_contents,
        st.just(True),
        st.booleans(),
    ),
    st.builds(TgMessage, st.just("private"), tg_contents, st.booleans(), st.just(False)),
    st.builds(
        TgPress,
        st.integers(0, 50),
        st.one_of(st.none(), st.integers(0, 20)),
        st.one_of(st.none(), button_data),
    ),
    st.builds(
        TgMembership,
        st.sampled_from(("private", "group")),
        st.sampled_from(("member", "administrator", "left", "kicked")),
    ),
)


_EDITS = itertools.count(1)


def _telegram_update(
    fake: FakeTelegram, event: TgEvent, sent: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The update Telegram would send for `event`; None when it cannot happen now (nothing to
    press, no text to edit)."""
    if isinstance(event, TgMembership):
        if event.chat == "group":
            if event.status == "left" or event.status == "kicked":
                return fake.remove_bot(TG_GROUP, TG_PERSON, event.status)
            return fake.add_bot(TG_GROUP, TG_PERSON, admin=event.status == "administrator")
        blocked = event.status in ("left", "kicked")  # in private: the person blocked the bot
        new, old = ("kicked", "member") if blocked else ("member", "kicked")
        change = {
            "chat": {"id": TG_PERSON.id, "type": "private", "first_name": TG_PERSON.first_name},
            "from": TG_PERSON.as_dict(),
            "date": int(dt.datetime.now(dt.UTC).timestamp()),
            "old_chat_member": {"user": telegram_api.BOT_USER, "status": old}
            | ({"until_date": 0} if old == "kicked" else {}),
            "new_chat_member": {"user": telegram_api.BOT_USER, "status": new}
            | ({"until_date": 0} if new == "kicked" else {}),
        }
        return {"update_id": 10**6, "my_chat_member": change}
    if isinstance(event, TgPress):
        mine = [m for (chat, _), m in fake.messages.items() if chat == TG_PERSON.id]
        pressable = [m for m in mine if fake.buttons(m)]
        if not pressable:
            return None
        message = pressable[event.message % len(pressable)]
        buttons = fake.buttons(message)
        if event.button is not None:
            data: str | None = buttons[event.button % len(buttons)][1]
        else:
            data = event.data
        update = fake.press(TG_PERSON, message, data or "")
        if data is None:
            del update["callback_query"]["data"]
        return update
    if event.edit_earlier:
        texts_sent = [u["message"] for u in sent if "text" in u.get("message", {})]
        if not texts_sent:
            return None
        earlier = dict(texts_sent[-1])  # only a text can be edited into another text
        edit = next(_EDITS)  # each edit is an update of its own, a little later than the last
        earlier["edit_date"] = earlier["date"] + edit
        earlier.pop("entities", None)
        earlier["text"] = "diubah"
        return {"update_id": 10**6 + edit, "edited_message": earlier}
    content = dict(event.content)
    if "text" in content:
        update = fake.send_text(TG_PERSON, str(content["text"]))
    elif "photo" in content:
        photo = content["photo"]
        assert isinstance(photo, bytes)
        update = fake.send_photo(TG_PERSON, photo)
    elif "location" in content:
        place = content["location"]
        assert isinstance(place, dict)
        update = fake.share_location(TG_PERSON, place["latitude"], place["longitude"])
    elif "contact" in content:
        card = content["contact"]
        assert isinstance(card, dict)
        update = fake.share_contact(TG_PERSON, str(card["phone_number"]))
    else:
        update = fake.send_text(TG_PERSON, "x")
        del update["message"]["text"]
        if "sticker" in content:
            update["message"]["sticker"] = {
                "file_id": "s1", "file_unique_id": "us1", "width": 512, "height": 512,
                "is_animated": False, "is_video": False, "type": "regular",
            }  # fmt: skip
    message = update["message"]
    if not event.sender:
        del message["from"]
    if event.chat == "group":
        message["chat"] = TG_GROUP.as_dict()
    elif event.chat == "channel":
        message["chat"] = {"id": -1009, "type": "channel", "title": "Kanal"}
        message.pop("from", None)
        return {"update_id": update["update_id"], "channel_post": message}
    sent.append(update)
    return update


def _answered(event: TgEvent, update: Mapping[str, Any]) -> bool:
    """Whether the engine must get a message from `event` (sent as `update`): every press, and
    everything a person sends or edits in private, read or not (it is then answered with what
    the bot can read)."""
    if isinstance(event, TgPress):
        return True
    if isinstance(event, TgMembership):
        return False
    message = update.get("message") or update.get("edited_message") or {}  # or a channel post
    return bool(message and message["chat"]["type"] == "private" and "from" in message)


def _seen(rows: RowCounter, channel: Channel) -> int:
    ((count,),) = rows("SELECT COUNT(*) FROM inbound_seen WHERE channel = ?", channel.value)
    return int(str(count))


async def telegram_session(world: World, events: Sequence[TgEvent]) -> None:
    fake = FakeTelegram()
    await fake.start()
    try:
        async with running(world) as (engine, rows, folder):
            options = Settings(
                data_dir=folder,
                telegram_token=SecretStr(telegram_api.TOKEN),
                telegram_api_url=fake.base_url,
                telegram_file_url=fake.base_file_url,
            )
            inbox = Inbox(engine.database)
            channel = TelegramChannel(engine, options, TEXTS, inbox)
            await channel.application.initialize()
            try:
                sent: list[dict[str, Any]] = []
                for event in events:
                    raw = _telegram_update(fake, event, sent)
                    if raw is None:
                        continue
                    before = _seen(rows, Channel.TELEGRAM)
                    await inbox.receive(Channel.TELEGRAM, [received(raw)])
                    await inbox.drained()
                    assert await _failed(engine.database) == [], event
                    assert _seen(rows, Channel.TELEGRAM) - before == _answered(event, raw), event
            finally:
                await channel.application.shutdown()
    finally:
        await fake.stop()


@settings(FAST, max_examples=examples(15))
@given(events=st.lists(tg_events, min_size=1, max_size=10))
def test_telegram_updates_reach_the_engine_as_one_valid_inbound_or_not_at_all(
    world: World, events: list[TgEvent]
) -> None:
    asyncio.run(telegram_session(world, events))


# -- 5. WhatsApp webhooks of any shape ---------------------------------------------------------
WA_PEOPLE = (
    FakeWhatsAppUser("ID.8001", "6281200008001", "Rudi"),
    FakeWhatsAppUser("ID.8002", None, "Ani"),  # hides her number behind a username
)


@dataclass(frozen=True)
class WaMessage:
    who: int
    kind: Literal["text", "button", "list", "location", "image", "contact", "unsupported"]
    value: str
    pick: int | None
    """Which offered button or row is pressed; None: one with the id `value` (forged)."""
    drop: tuple[str, ...]
    """Keys of the message Meta may leave out."""


wa_events = st.builds(
    WaMessage,
    st.integers(0, len(WA_PEOPLE) - 1),
    st.sampled_from(
        ("text", "text", "button", "list", "location", "image", "contact", "unsupported")
    ),
    st.one_of(texts, st.text(min_size=1, max_size=300)),
    st.one_of(st.none(), st.integers(0, 50)),
    st.lists(st.sampled_from(("from", "errors")), max_size=2, unique=True).map(tuple),
)
UNSUPPORTED = ("sticker", "video", "audio", "voice", "document", "reaction", "poll")


def _whatsapp_body(fake: FakeWhatsApp, event: WaMessage) -> dict[str, Any]:
    user = WA_PEOPLE[event.who]
    number = event.pick or 0
    if event.kind == "text":
        body = fake.text(user, event.value)
    elif event.kind in ("button", "list"):
        offered = [id_ for sent in fake.sent(user) for id_, _ in fake.buttons(sent)]
        pressed = event.value[:256]
        if event.pick is not None and offered:
            pressed = offered[event.pick % len(offered)]
        make = fake.button_reply if event.kind == "button" else fake.list_reply
        body = make(user, pressed, event.value[:20])
    elif event.kind == "location":
        body = fake.location(user, number - 25.0, number * 3.5, name=event.value[:50])
    elif event.kind == "image":
        body = fake.image(user, event.value.encode(), caption=event.value[:100])
    elif event.kind == "contact":
        body = fake.contact(user, event.value[:40])
    else:
        body = fake.unsupported(user, UNSUPPORTED[number % len(UNSUPPORTED)])
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    for key in event.drop:
        message.pop(key, None)
    return body


async def _failed(database: Database) -> list[str]:
    """The reasons of the updates the inbox could not handle."""
    async with database.unit_of_work() as uow:
        return [reason for _, reason in await uow.inbox.failed()]


class _Errors(logging.Handler):
    """pywa logs, rather than raises, what a handler raised; keep those records."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def whatsapp_session(world: World, events: Sequence[WaMessage]) -> None:
    fake = FakeWhatsApp()
    await fake.start()
    errors = _Errors()
    pywa_log = logging.getLogger("pywa")
    pywa_log.addHandler(errors)
    try:
        async with running(world) as (engine, rows, folder):
            options = Settings(
                data_dir=folder,
                whatsapp_phone_id=whatsapp_api.PHONE_ID,
                whatsapp_token=SecretStr(whatsapp_api.TOKEN),
                whatsapp_verify_token=SecretStr(whatsapp_api.VERIFY_TOKEN),
                whatsapp_app_secret=SecretStr(whatsapp_api.APP_SECRET),
                whatsapp_api_url=fake.base_url,
            )
            inbox = Inbox(engine.database)
            channel = WhatsAppChannel(engine, options, TEXTS, inbox)
            transport = httpx.ASGITransport(app=channel.app)
            try:
                async with httpx.AsyncClient(transport=transport, base_url="http://bot") as hook:
                    for event in events:
                        raw = json.dumps(_whatsapp_body(fake, event)).encode()
                        before = _seen(rows, Channel.WHATSAPP)
                        answer = await hook.post(
                            options.whatsapp_webhook_path,
                            content=raw,
                            headers={
                                "Content-Type": "application/json",
                                "X-Hub-Signature-256": whatsapp_api.sign(raw),
                            },
                        )
                        assert answer.status_code == 200
                        await inbox.drained()
                        assert await _failed(engine.database) == [], event
                        ours = [
                            r for r in errors.records if "handling the update" in r.getMessage()
                        ]
                        assert ours == [], (event, [r.exc_info for r in ours])
                        assert _seen(rows, Channel.WHATSAPP) - before == 1, event
            finally:
                await channel.close()
    finally:
        pywa_log.removeHandler(errors)
        await fake.stop()


@settings(FAST, max_examples=examples(15))
@given(events=st.lists(wa_events, min_size=1, max_size=8))
def test_whatsapp_webhooks_reach_the_engine_as_one_valid_inbound_or_not_at_all(
    world: World, events: list[WaMessage]
) -> None:
    asyncio.run(whatsapp_session(world, events))


# -- bugs these tests found, fixed --------------------------------------------------------------
def test_telegram_button_data_with_a_final_newline_is_refused_like_any_forgery(
    world: World,
) -> None:
    menu = TgMessage("private", {"text": "/menu"}, sender=True, edit_earlier=False)
    asyncio.run(telegram_session(world, [menu, TgPress(0, None, "cmd:menu\n")]))


def test_whatsapp_button_id_with_a_final_newline_is_refused_like_any_forgery(
    world: World,
) -> None:
    press = WaMessage(0, "button", "cmd:menu\n", pick=None, drop=())
    asyncio.run(whatsapp_session(world, [press]))


async def namesake_erases_herself(world: World) -> tuple[Rows, Rows]:
    """A newcomer called Budi, like the demo worker, registers and erases herself; the rows
    about the real Budi (his pending follow-up, Bu Sari's open list of reports) before and
    after."""
    async with running(world) as (engine, rows, _folder):
        about_budi = ("sessions", "outbox")
        before = dump(rows, about_budi)
        newcomer = Paced(engine, "t:namesake")
        await newcomer.register(name="Budi", code=FISHERMEN_CODE)
        await newcomer.say("/hapusdata")
        await newcomer.tap("erase:yes")
        assert newcomer.keys == ["erase.done"], newcomer.keys
        return before, dump(rows, about_budi)


def test_erasing_oneself_leaves_namesakes_alone(world: World) -> None:
    before, after = asyncio.run(namesake_erases_herself(world))
    sari = [s["offered"] for s in after["sessions"] if s["platform_id"] == persona_id("sari")]
    assert sari == [
        s["offered"] for s in before["sessions"] if s["platform_id"] == persona_id("sari")
    ]
    followups = {m["id"]: m["payload"] for m in before["outbox"] if m["kind"] == "followup"}
    assert followups
    assert {m["id"]: m["payload"] for m in after["outbox"] if m["id"] in followups} == followups
