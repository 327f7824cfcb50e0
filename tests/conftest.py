"""Shared fixtures: the demo database, a movable clock, and a dialog driver."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app.demo import FISHERMEN_CODE, persona_id, seed_demo
from bot.base import keys
from bot.base.models import Channel, Inbound, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.consent import consent_version
from bot.core.engine import Engine
from bot.storage.activities import NewActivity
from bot.storage.database import Database
from bot.storage.incidents import NewIncident
from content.knowledge import Knowledge
from handlers import CONVERSATIONS

START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
CONSENTED = consent_version(Texts.load(), Settings())
ZONE = Settings().default_timezone
"""The demo groups' time zone, and everyone else's."""
"""The consent version of people created directly in the database by a test."""
SCRIPTED_PACE = 10_000
"""`inbound_per_minute` for scripted conversations, which answer many questions in no time;
tests/bot/test_flood.py tests the limit itself."""


@pytest.fixture(autouse=True, scope="session")
def triage_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache of the trained triage classifier for every `posukk` process the tests start
    (`Knowledge.load`), so each does not train it again."""
    folder = tmp_path_factory.mktemp("cache")
    before = os.environ.get("POSUKK_CACHE_DIR")
    os.environ["POSUKK_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        del os.environ["POSUKK_CACHE_DIR"]
    else:
        os.environ["POSUKK_CACHE_DIR"] = before


class FakeClock:
    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Person:
    """Someone chatting with the engine; each call is one inbound with a fresh message id."""

    def __init__(self, engine: Engine, ref: str, channel: Channel = Channel.TERMINAL) -> None:
        self.engine = engine
        self.ref = ref
        self.channel = channel
        self.last: list[Reply] = []

    def inbound(self, message_id: str | None = None, **payload: object) -> Inbound:
        return Inbound.model_validate(
            {
                "channel": self.channel,
                "user_ref": self.ref,
                "message_id": message_id or uuid.uuid4().hex,
                "received_at": self.engine.clock(),
                **payload,
            }
        )

    async def say(self, text: str) -> list[Reply]:
        return self._answered(await self.engine.handle(self.inbound(text=text)))

    async def tap(self, token: str) -> list[Reply]:
        return self._answered(await self.engine.handle(self.inbound(choice=token)))

    def _answered(self, replies: list[Reply]) -> list[Reply]:
        """Keep the replies; every button in them has a prefix `bot/base/keys.py` lists."""
        unknown = [c.token for r in replies for c in r.choices if not keys.token_known(c.token)]
        assert not unknown, f"tokens of no prefix in bot/base/keys.py: {unknown}"
        self.last = replies
        return replies

    @property
    def keys(self) -> list[str]:
        return [reply.key for reply in self.last]

    @property
    def tokens(self) -> list[str]:
        return [choice.token for reply in self.last for choice in reply.choices]

    async def register(self, name: str = "Rudi", code: str | None = FISHERMEN_CODE) -> None:
        await self.say("/start")
        await self.tap("lang:id")
        await self.tap("consent:yes")
        await self.say(name)
        await self.tap("phone:skip")
        if code is None:
            await self.tap("code:none")
        else:
            await self.say(code)
        assert self.keys[-1] == "menu.title", self.keys


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "posukk.sqlite3"


@pytest.fixture
async def database(db_path: Path, clock: FakeClock) -> AsyncIterator[Database]:
    db = await Database.open(db_path)
    await seed_demo(db, clock())
    yield db
    await db.close()


@pytest.fixture
def texts() -> Texts:
    return Texts.load()


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return Knowledge.load()


@pytest.fixture
def engine(
    database: Database, texts: Texts, clock: FakeClock, knowledge: Knowledge, tmp_path: Path
) -> Engine:
    settings = Settings(data_dir=tmp_path, inbound_per_minute=SCRIPTED_PACE)
    return Engine(database, texts, settings, knowledge, CONVERSATIONS, clock=clock)


@pytest.fixture
def rows(db_path: Path) -> RowCounter:
    return RowCounter(db_path)


class RowCounter:
    """Reads the database file directly, to check what a conversation did or did not store."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.path) as connection:
            return connection.execute(sql, params).fetchall()

    def count(self, table: str) -> int:
        value = self(f"SELECT COUNT(*) FROM {table}")[0][0]
        assert isinstance(value, int)
        return value


def person(engine: Engine, name: str) -> Person:
    """A seeded demo persona (sari, budi, rahmat, andi)."""
    return Person(engine, persona_id(name))


MEETING = dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)  # Tuesday 08:00 WITA
DAY_BEFORE = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # Monday 17:00 WITA
HOURS_BEFORE = dt.datetime(2026, 11, 23, 22, 0, tzinfo=dt.UTC)  # Tuesday 06:00 WITA


async def add_meeting(database: Database, clock: FakeClock, audience: str = "all") -> int:
    """Bu Sari's weekly meeting at the demo fishermen group, first on Tuesday 08:00 WITA."""
    async with database.unit_of_work() as uow:
        group = await uow.groups.by_code(FISHERMEN_CODE)
        sari = await uow.users.by_platform(Channel.TERMINAL, "demo:sari")
        assert group is not None
        assert sari is not None
        activity = NewActivity(
            group.id, "rutin", "Pertemuan rutin", "balai desa", MEETING, "weekly", audience
        )
        return await uow.activities.create(activity, sari.id, clock())


def an_injury(group_id: int, reporter_id: int) -> NewIncident:
    """A cut reported by `reporter_id`, with nothing else said."""
    return NewIncident(
        group_id=group_id, reporter_id=reporter_id, kind="injury", victim="self",
        victim_name=None, victim_sex=None, victim_age=None, employment=None, occupation="nelayan",
        topic_id="cut", injury_type=None, material_agent=None, what_text="", body_part=None,
        occurred_on="2026-11-30", occurred_time=None, place_text="", latitude=None,
        longitude=None, activity="", activity_text="", commuting=False, danger_signs=False,
        first_aid_given="", stopped_work=None, photo_ref=None, severe=False, anonymous=False,
    )  # fmt: skip
