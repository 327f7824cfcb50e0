"""The dashboard's world: the demo (Bu Sari kader of the fishermen, Pak Rahmat of the oil-palm
workers, Pak Andi officer of both regencies, Budi a worker), an admin, and reports in both
groups (one anonymous, some with a location); logins through `/web` in the chat."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.app.demo import FISHERMEN_CODE, PLANTATION_CODE, persona_id, seed_demo
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.storage.database import Database
from bot.storage.records import Role
from bot.web.app import dashboard_app
from bot.web.limits import AttemptLimit
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.conftest import SCRIPTED_PACE, START, FakeClock, Person, RowCounter, an_injury

TEXTS = Texts.load()
KNOWLEDGE = Knowledge.load()
BASE_URL = "http://dasbor.test"
ADMIN_REF = "t:admin"
LINK = re.compile(r"(https?://\S+/masuk/(\S+))")
NOW = START + dt.timedelta(days=9)
"""2 December 2026, 09:00 WITA: the reports below fall in November and December."""


@dataclass(frozen=True)
class Reports:
    fishermen: list[int]
    plantation: list[int]
    anonymous: int
    """Budi's anonymous report in the fishermen group."""


def ref_of(persona: str) -> str:
    return ADMIN_REF if persona == "admin" else persona_id(persona)


async def _seed(database: Database, clock: FakeClock) -> Reports:
    await seed_demo(database, clock())
    engine = Engine(database, TEXTS, Settings(), KNOWLEDGE, CONVERSATIONS, clock=clock)
    await Person(engine, ADMIN_REF).register(name="Admin Dinas", code=None)
    ids: dict[str, list[int]] = {FISHERMEN_CODE: [], PLANTATION_CODE: []}
    async with database.unit_of_work() as uow:
        admin = await uow.users.by_platform(Channel.TERMINAL, ADMIN_REF)
        assert admin is not None
        await uow.roles.grant(user_id=admin.id, role=Role.ADMIN, granted_by="test", now=START)
        places = {
            FISHERMEN_CODE: ("budi", [(0.1340, 117.5012), (0.1298, 117.4951), None]),
            PLANTATION_CODE: ("rahmat", [(2.1553, 117.5361), None]),
        }
        for code, (persona, spots) in places.items():
            group = await uow.groups.by_code(code)
            reporter = await uow.users.by_platform(Channel.TERMINAL, persona_id(persona))
            assert group is not None
            assert reporter is not None
            for number, spot in enumerate(spots):
                incident = dataclasses.replace(
                    an_injury(group.id, reporter.id),
                    latitude=spot[0] if spot else None,
                    longitude=spot[1] if spot else None,
                    what_text=f"luka nomor {number + 1}",
                    anonymous=code == FISHERMEN_CODE and number == 0,
                    occurred_on="2026-11-30" if number else "2026-12-01",
                )
                at = START + dt.timedelta(days=7 + number)
                created = await uow.incidents.create(incident, at)
                ids[code].append(created.id)
    return Reports(ids[FISHERMEN_CODE], ids[PLANTATION_CODE], ids[FISHERMEN_CODE][0])


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Reports]:
    """A database file to copy for each test."""
    path = tmp_path_factory.mktemp("web-world") / "world.sqlite3"

    async def build() -> Reports:
        database = await Database.open(path)
        try:
            return await _seed(database, FakeClock())
        finally:
            await database.close()

    return path, asyncio.run(build())


@dataclass
class Site:
    """The dashboard and the chat on one database, at one moment."""

    engine: Engine
    database: Database
    clock: FakeClock
    reports: Reports
    client: httpx.AsyncClient
    path: Path
    data_dir: Path

    async def link(self, persona: str) -> str:
        """The login link `/web` gives `persona` in the chat."""
        who = Person(self.engine, ref_of(persona))
        replies = await who.say("/web")
        assert who.keys[0] == "web.link", who.keys
        found = LINK.search(replies[0].text)
        assert found is not None, replies[0].text
        return found.group(1)

    async def log_in(self, persona: str) -> httpx.AsyncClient:
        """A browser of its own, logged in as `persona`."""
        client = self.browser()
        link = await self.link(persona)
        assert (await client.get(link)).status_code == 200
        response = await client.post(link)
        assert response.status_code == 303, response.text
        client.cookies = response.cookies
        return client

    async def user(self, persona: str) -> int:
        async with self.database.unit_of_work() as uow:
            user = await uow.users.by_platform(Channel.TERMINAL, ref_of(persona))
        assert user is not None
        return user.id

    def rows(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        return RowCounter(self.path)(sql, *params)

    def browser(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.client._transport, base_url=BASE_URL, follow_redirects=False
        )


@pytest.fixture
async def site(world: tuple[Path, Reports], tmp_path: Path) -> AsyncIterator[Site]:
    source, reports = world
    path = tmp_path / f"{uuid.uuid4().hex}.sqlite3"
    shutil.copyfile(source, path)
    database = await Database.open(path)
    clock = FakeClock(NOW)
    settings = Settings(data_dir=tmp_path, web_base_url=BASE_URL, inbound_per_minute=SCRIPTED_PACE)
    engine = Engine(database, TEXTS, settings, KNOWLEDGE, CONVERSATIONS, clock=clock)
    app = dashboard_app(database, TEXTS, settings, KNOWLEDGE, clock, AttemptLimit())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield Site(engine, database, clock, reports, client, path, tmp_path)
    await database.close()
