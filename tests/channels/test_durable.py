"""Nothing lost between the platform and the database: `posukk run` killed with -9 while
updates are stored and not handled, then started again, handles each of them exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable

import aiohttp

from bot.base.settings import Settings
from tests.channels.conftest import KADER
from tests.channels.test_telegram import add_telegram_members, press, reply_to
from tests.conftest import RowCounter, database_env
from tests.fakes.telegram_api import TOKEN, FakeTelegram, FakeUser
from tests.fakes.whatsapp_api import (
    APP_SECRET,
    PHONE_ID,
    VERIFY_TOKEN,
    FakeWhatsApp,
    FakeWhatsAppUser,
)
from tests.fakes.whatsapp_api import TOKEN as WA_TOKEN


def count(settings: Settings, sql: str) -> int:
    ((found,),) = RowCounter(settings.database)(sql)
    return int(str(found))


@contextlib.asynccontextmanager
async def posukk_run(settings: Settings, **extra: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """The real `posukk run` in its own process; stopped with SIGTERM at the end unless the
    test killed it."""
    env = {
        **os.environ,
        **database_env(settings),
        "POSUKK_DATA_DIR": str(settings.data_dir),
        "POSUKK_TELEGRAM_TOKEN": TOKEN,
        "POSUKK_TELEGRAM_API_URL": settings.telegram_api_url,
        "POSUKK_TELEGRAM_FILE_URL": settings.telegram_file_url,
        "POSUKK_TELEGRAM_POLL_TIMEOUT": "1",
        "POSUKK_TELEGRAM_PER_CHAT_INTERVAL": "0",
        "POSUKK_QUIET_HOURS": "00:00-00:00",
        **extra,
    }
    with (settings.data_dir.parent / "bot.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.app.cli", "run", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            yield process
        except BaseException:
            # A failure on a busy machine is hard to read without what the bot itself said.
            tail = (settings.data_dir.parent / "bot.log").read_text(errors="replace")[-4000:]
            print(f"--- the bot's log, last lines ---\n{tail}", file=sys.stderr)
            raise
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)


async def kill(process: asyncio.subprocess.Process) -> None:
    process.kill()
    await process.wait()


async def until(predicate: Callable[[], bool], within: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the bot did not do what the test waited for")
        await asyncio.sleep(0.05)


async def test_150_updates_fetched_when_killed_are_each_handled_once_after_the_restart(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    people = [FakeUser(9500 + n, f"W{n}") for n in range(10)]
    await add_telegram_members(settings, range(9500, 9510))
    telegram.hanging.add("sendMessage")  # each person's first answer hangs; the rest wait
    for _ in range(15):
        for person in people:
            telegram.send_text(person, "menu")
    last = telegram.updates[-1]["update_id"]
    async with posukk_run(settings) as first:
        await telegram.wait_for(lambda: telegram.confirmed_below > last, within=60)
        assert count(settings, "SELECT COUNT(*) FROM inbound_seen") <= len(people)
        await kill(first)
    telegram.release()
    async with posukk_run(settings):
        await until(lambda: count(settings, "SELECT COUNT(*) FROM inbound_seen") == 150)
        await until(lambda: count(settings, "SELECT COUNT(*) FROM inbox") == 0)
        await telegram.wait_for(
            lambda: all(len(telegram.texts_to(p.id)) >= 15 for p in people), within=60
        )
    for person in people:
        menus = [t for t in telegram.texts_to(person.id) if "Menu utama" in t]
        assert 15 <= len(menus) <= 16, "an answer each; the one in hand at the kill may repeat"


async def test_a_kirim_press_in_hand_when_killed_files_the_report_once(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    worker = FakeUser(9600, "W9600")
    await add_telegram_members(settings, range(9600, 9601))
    async with posukk_run(settings) as first:
        # Start-up trains the first-aid classifier (seconds on a busy machine): wait until the
        # bot polls before timing its first answer.
        await telegram.wait_for(lambda: telegram.polls > 0, within=60)
        await reply_to(telegram, worker, "/lapor", "Siapa yang")
        for text in ("saya sendiri", "L", "42 tahun", "usaha sendiri", "kena kail"):
            telegram.send_text(worker, text)
        await telegram.wait_for(
            lambda: "rep:body:hand" in str(telegram.last_message_to(worker.id)), within=30
        )
        await press(telegram, worker, "rep:body:hand", "Kapan")
        for text in ("kemarin jam 3", "di perahu", "memancing", "tidak", "dicuci air", "ya"):
            telegram.send_text(worker, text)
        telegram.send_text(worker, "lewati")
        await telegram.wait_for(
            lambda: "rep:send" in str(telegram.last_message_to(worker.id)), within=30
        )
        summary = telegram.last_message_to(worker.id)
        telegram.hanging.add("sendMessage")
        telegram.send_text(worker, "?")  # its answer hangs, so the press waits behind it
        telegram.press(worker, summary, "rep:send")
        last = telegram.updates[-1]["update_id"]
        await telegram.wait_for(lambda: telegram.confirmed_below > last, within=30)
        assert count(settings, "SELECT COUNT(*) FROM incidents") == 0
        await kill(first)
    telegram.release()
    async with posukk_run(settings):
        await telegram.wait_for(
            lambda: any("UKK-" in t for t in telegram.texts_to(worker.id)), within=60
        )
        await telegram.wait_for(
            lambda: any("UKK-" in t for t in telegram.texts_to(KADER.id)), within=60
        )
    assert count(settings, "SELECT COUNT(*) FROM incidents") == 1
    alerts = [t for t in telegram.texts_to(KADER.id) if "UKK-" in t]
    assert len(alerts) == 1, "the kader is alerted once"


async def test_telegram_webhook_updates_answered_200_survive_a_kill(
    telegram: FakeTelegram, settings: Settings, seeded: None, unused_tcp_port: int
) -> None:
    people = [FakeUser(9700 + n, f"W{n}") for n in range(5)]
    await add_telegram_members(settings, range(9700, 9705))
    hook = {
        "POSUKK_TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram",
        "POSUKK_TELEGRAM_WEBHOOK_SECRET": "s3cret",
        "POSUKK_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "POSUKK_TELEGRAM_WEBHOOK_PORT": str(unused_tcp_port),
    }
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    telegram.hanging.add("sendMessage")
    async with posukk_run(settings, **hook) as first:
        await telegram.wait_for(lambda: telegram.webhook is not None, within=30)
        async with aiohttp.ClientSession() as session:
            for _ in range(4):
                for person in people:
                    update = telegram.send_text(person, "menu")
                    answer = await session.post(
                        url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
                    )
                    assert answer.status == 200
        await kill(first)
    telegram.release()
    async with posukk_run(settings, **hook):
        await until(lambda: count(settings, "SELECT COUNT(*) FROM inbound_seen") == 20)
        await until(lambda: count(settings, "SELECT COUNT(*) FROM inbox") == 0)
        await telegram.wait_for(
            lambda: all(len(telegram.texts_to(p.id)) >= 4 for p in people), within=60
        )
    for person in people:
        assert 4 <= len(telegram.texts_to(person.id)) <= 5


async def test_whatsapp_webhooks_answered_200_survive_a_kill(
    telegram: FakeTelegram, fake: FakeWhatsApp, settings: Settings, unused_tcp_port: int
) -> None:
    people = [FakeWhatsAppUser(f"ID.97{n}", f"6281200097{n:02d}", f"P{n}") for n in range(5)]
    whatsapp = {
        "POSUKK_WHATSAPP_PHONE_ID": PHONE_ID,
        "POSUKK_WHATSAPP_TOKEN": WA_TOKEN,
        "POSUKK_WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "POSUKK_WHATSAPP_APP_SECRET": APP_SECRET,
        "POSUKK_WHATSAPP_API_URL": fake.base_url,
        "POSUKK_WHATSAPP_WEBHOOK_LISTEN": "127.0.0.1",
        "POSUKK_WHATSAPP_WEBHOOK_PORT": str(unused_tcp_port),
    }
    url = f"http://127.0.0.1:{unused_tcp_port}/whatsapp"
    fake.hanging = True  # every send hangs: each person's first message is in hand
    async with posukk_run(settings, **whatsapp) as first:
        await until(lambda: _listening(unused_tcp_port))
        for _ in range(3):
            for person in people:
                status, _ = await fake.post(url, fake.text(person, "halo"))
                assert status == 200
        await kill(first)
    fake.release()
    async with posukk_run(settings, **whatsapp):
        await until(lambda: count(settings, "SELECT COUNT(*) FROM inbound_seen") == 15)
        await until(lambda: count(settings, "SELECT COUNT(*) FROM inbox") == 0)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
