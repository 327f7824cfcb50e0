"""Shared fixtures: the demo database, a movable clock, and a dialog driver."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from bot.app.demo import FISHERMEN_CODE, persona_id, seed_demo
from bot.app.event_loop import loop_factory
from bot.base import keys
from bot.base.models import Channel, Inbound, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.consent import consent_version
from bot.core.engine import Engine
from bot.storage.activities import NewActivity
from bot.storage.database import Database
from bot.storage.incidents import NewIncident
from bot.storage.postgresql import RESYNC_IDS, plain_values
from bot.storage.sql import to_pyformat
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from tests.fakes.senders import ScriptedSender
from tests.postgres import PostgresServer, running_server

ON_POSTGRESQL = os.environ.get("POSUKK_TEST_DATABASE", "sqlite") == "postgresql"
"""The run's database: SQLite unless `POSUKK_TEST_DATABASE=postgresql` (`make test` runs both)."""
START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
CONSENTED = consent_version(Texts.load(), Settings())
ZONE = Settings().default_timezone
"""The demo groups' time zone, and everyone else's."""
"""The consent version of people created directly in the database by a test."""
SCRIPTED_PACE = 10_000
"""`inbound_per_minute` for scripted conversations, which answer many questions in no time;
tests/bot/test_flood.py tests the limit itself."""


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Every test on the event loop `posukk run` runs on (uvloop; asyncio's own on Windows)."""
    return {"bot": loop_factory()}


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """The run's PostgreSQL server when the suite runs on PostgreSQL, else None."""
    if not ON_POSTGRESQL:
        yield None
        return
    with running_server() as server:
        yield server


@pytest.fixture
def database_target(db_path: Path, postgres_server: PostgresServer | None) -> Iterator[Path | str]:
    """The database a test works on: a SQLite file, or, when the run is on PostgreSQL, the run's
    test database emptied for it."""
    if postgres_server is None:
        yield db_path
        return
    yield postgres_server.emptied()


def new_database(
    server: PostgresServer | None, folder: Path, like: Path | str | None = None
) -> Path | str:
    """A database of its own in `folder` (SQLite) or on the run's server: a copy of `like`
    (closed), else empty."""
    if server is None:
        path = folder / f"{uuid.uuid4().hex}.sqlite3"
        if like is not None:
            shutil.copyfile(like, path)
        return path
    return server.database(str(like) if like is not None else None)


DATABASE_FIXTURES = {"database_target", "postgres_server"}
"""A test that uses one of these (directly or through other fixtures) touches the database."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked `sqlite_only` on a PostgreSQL run, and those marked
    `postgresql_only` on a SQLite run (each needs its reason). **Choice**: a PostgreSQL run
    leaves out the tests that touch no database (content, triage, layers, files of their own):
    the SQLite run has run them, and they would give the same result again."""
    for item in items:
        for name, skipped_on_postgresql in (("sqlite_only", True), ("postgresql_only", False)):
            marker = item.get_closest_marker(name)
            if marker is None:
                continue
            reason = marker.kwargs.get("reason")
            assert reason, f"{item.nodeid}: {name} needs a reason"
            if skipped_on_postgresql == ON_POSTGRESQL:
                item.add_marker(pytest.mark.skip(reason=f"{name}: {reason}"))
    if ON_POSTGRESQL:
        untouched = [
            i for i in items if not DATABASE_FIXTURES & set(getattr(i, "fixturenames", ()))
        ]
        config.hook.pytest_deselected(items=untouched)
        items[:] = [i for i in items if i not in untouched]


@pytest.fixture
async def database(database_target: Path | str, clock: FakeClock) -> AsyncIterator[Database]:
    db = await Database.open(database_target)
    await seed_demo(db, clock())
    yield db
    await db.close()


@pytest.fixture
async def second(database: Database, database_target: Path | str) -> AsyncIterator[Database]:
    """The same database as `database`, opened again as another process would (its own pool
    of connections)."""
    other = await Database.open(database_target)
    yield other
    await other.close()


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
def rows(database_target: Path | str) -> RowCounter:
    return RowCounter(database_target)


class RowCounter:
    """Reads the database directly (not through the bot's code), to check what a conversation
    did or did not store. SQL as SQLite writes it: `?` placeholders."""

    def __init__(self, target: Path | str) -> None:
        self.target = target

    def __call__(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        if isinstance(self.target, str):
            with psycopg.connect(self.target, autocommit=True) as connection:
                plain_values(connection)
                cursor = connection.execute(to_pyformat(sql).encode(), params)
                return cursor.fetchall() if cursor.description else []
        with contextlib.closing(sqlite3.connect(self.target)) as lite, lite:
            return lite.execute(sql, params).fetchall()

    def many(self, sql: str, rows: list[tuple[object, ...]]) -> None:
        """One statement for each of `rows`, in one transaction; tables with an id column
        given explicit ids stay able to number the next row themselves."""
        if isinstance(self.target, str):
            with psycopg.connect(self.target) as connection:
                plain_values(connection)
                with connection.cursor() as cursor:
                    cursor.executemany(to_pyformat(sql).encode(), rows)
                    cursor.execute(RESYNC_IDS.encode())
            return
        with contextlib.closing(sqlite3.connect(self.target)) as lite, lite:
            lite.executemany(sql, rows)

    def tables(self) -> list[str]:
        """The bot's tables, by name."""
        if isinstance(self.target, str):
            sql = (
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' ORDER BY 1"
            )
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"
        return [str(name) for (name,) in self(sql)]

    def records(self, table: str) -> list[dict[str, object]]:
        """Every row of `table` by column name."""
        if isinstance(self.target, str):
            with psycopg.connect(self.target, autocommit=True) as connection:
                plain_values(connection)
                found = connection.execute(f"SELECT * FROM {table}".encode())
                names = [column.name for column in found.description or ()]
                return [dict(zip(names, row, strict=True)) for row in found.fetchall()]
        with contextlib.closing(sqlite3.connect(self.target)) as lite:
            cursor = lite.execute(f"SELECT * FROM {table}")
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def count(self, table: str) -> int:
        value = self(f"SELECT COUNT(*) FROM {table}")[0][0]
        assert isinstance(value, int)
        return value


def database_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a `posukk` process the database of `settings`."""
    return {"POSUKK_DATABASE_URL": settings.database_url} if settings.database_url else {}


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


async def deliver(database: Database, clock: FakeClock) -> list[tuple[str, str]]:
    """Deliver the terminal's outbox now (no rate to speak of); what went out, to whom."""
    sender = ScriptedSender()
    limits = {Channel.TERMINAL: RateLimit(per_second=10_000)}
    await OutboxDelivery(
        database, {Channel.TERMINAL: sender}, limits, clock=clock, default_timezone=ZONE
    ).deliver_all()
    return sender.delivered
