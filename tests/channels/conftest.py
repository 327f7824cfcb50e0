"""The real bot (`run_bot`) against the local fake Bot API server, with a Telegram kader; and
the local WhatsApp Cloud API fake."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.app.demo import FISHERMEN_CODE, seed_demo
from bot.app.runner import run_bot
from bot.base.clock import utc_now
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.storage.activities import NewActivity
from bot.storage.database import Database
from bot.storage.records import Role
from scheduler.reminders import materialise_reminders
from scheduler.worker import HEARTBEAT_SECONDS, REAL_TIME, DeliveryTime
from tests.conftest import CONSENTED, SCRIPTED_PACE
from tests.fakes.telegram_api import TOKEN, FakeTelegram, FakeUser
from tests.fakes.whatsapp_api import FakeWhatsApp

KADER = FakeUser(7001, "Sari")
OFFICER = FakeUser(7002, "Andi")


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsApp]:
    """The local WhatsApp Cloud API."""
    server = FakeWhatsApp()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(tmp_path: Path, telegram: FakeTelegram, database_target: Path | str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_target if isinstance(database_target, str) else None,
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=telegram.base_url,
        telegram_file_url=telegram.base_file_url,
        telegram_per_second=1000.0,
        telegram_per_chat_interval=0.0,
        telegram_poll_timeout=1,
        quiet_hours="00:00-00:00",  # no quiet hours: these tests run on the real clock
        scheduled_summaries=False,  # nor a weekly summary, on whatever day they run
        inbound_per_minute=SCRIPTED_PACE,
    )


@pytest.fixture
async def seeded(settings: Settings) -> None:
    """Demo groups, plus a kader and an officer who use Telegram."""
    await seed_telegram_staff(settings)


async def seed_telegram_staff(settings: Settings) -> None:
    """Demo groups, plus a kader (`KADER`) and an officer (`OFFICER`) who use Telegram."""
    database = await Database.open(settings.database)
    now = utc_now()
    await seed_demo(database, now)
    async with database.unit_of_work() as uow:
        group = await uow.groups.by_code(FISHERMEN_CODE)
        assert group is not None
        for person, role in ((KADER, Role.KADER), (OFFICER, Role.OFFICER)):
            user = await uow.users.create(
                channel=Channel.TELEGRAM, platform_id=str(person.id), name=person.first_name,
                language="id", consent_version=CONSENTED, now=now,
            )  # fmt: skip
            if role is Role.KADER:
                await uow.memberships.join(user.id, group.id, now)
                await uow.roles.grant(
                    user_id=user.id, role=role, group_id=group.id, granted_by="t", now=now
                )
            else:
                await uow.roles.grant(
                    user_id=user.id, role=role, regency=group.regency, granted_by="t", now=now
                )
    await database.close()


@dataclass
class RunningBot:
    settings: Settings
    stop: asyncio.Event
    task: asyncio.Task[None]

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 15)


def fast_delivery(speed: float = 20.0) -> DeliveryTime:
    """Delivery's clocks running `speed` times the real ones: a platform's "retry after 1"
    pause, the pacing between messages and the worker's heartbeat all pass that much sooner."""
    real_start, monotonic_start = utc_now(), time.monotonic()

    def elapsed() -> float:
        return (time.monotonic() - monotonic_start) * speed

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(seconds / speed)

    return DeliveryTime(
        clock=lambda: real_start + dt.timedelta(seconds=elapsed()),
        monotonic=lambda: monotonic_start + elapsed(),
        sleep=sleep,
        heartbeat=HEARTBEAT_SECONDS / speed,
    )


async def start_bot(
    settings: Settings, within: float = 30.0, delivery_time: DeliveryTime = REAL_TIME
) -> RunningBot:
    """The bot, once every channel listens (`run_bot` says it is ready); its error if it
    stops before."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_bot(settings, stop, ready, delivery_time))
    waiting = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiting}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if task.done():
        task.result()
    if not ready.is_set():
        stop.set()
        raise TimeoutError("the bot did not get ready")
    return RunningBot(settings, stop, task)


@pytest.fixture
async def bot(settings: Settings, seeded: None) -> AsyncIterator[RunningBot]:
    running = await start_bot(settings)
    yield running
    with contextlib.suppress(Exception):
        await running.shutdown()


async def remind_of_a_meeting_soon(settings: Settings) -> None:
    """The fishermen's "Pertemuan bulanan" in 90 minutes, and its reminders queued now, in the
    running bot's database."""
    database = await Database.open(settings.database)
    try:
        async with database.unit_of_work() as uow:
            group = await uow.groups.by_code(FISHERMEN_CODE)
            assert group is not None
            soon = utc_now() + dt.timedelta(minutes=90)
            meeting = NewActivity(
                group.id, "rutin", "Pertemuan bulanan", "balai", soon, "once", "all"
            )
            await uow.activities.create(meeting, 1, utc_now())
        assert await materialise_reminders(database, Texts.load(), utc_now()) > 0
    finally:
        await database.close()
