"""`posukk run`: the bot on Telegram (and later WhatsApp), sharing one database and delivery job."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.telegram import TelegramChannel
from bot.clock import utc_now
from bot.engine import Engine
from bot.models import Channel
from bot.settings import Settings
from bot.storage.database import Database
from bot.texts import Texts
from content.knowledge import Knowledge
from scheduler.broadcasts import advance_broadcasts
from scheduler.delivery import OutboxDelivery, RateLimit
from scheduler.jobs import run_due_jobs
from scheduler.quiet import QuietHours
from scheduler.reminders import Offset
from scheduler.worker import DeliveryWorker

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
JOB_TICK_SECONDS = 60
BROADCAST_TICK_SECONDS = 5
"""Confirmed broadcasts start within seconds, not at the next minute."""
WEBHOOK_PATH = "telegram"


class RunError(Exception):
    """The bot cannot start with these settings; the message says what to set."""


async def run_bot(settings: Settings, stop: asyncio.Event) -> None:
    """Run until `stop` is set, then finish in-flight work and close everything."""
    if settings.telegram_token is None:
        raise RunError(
            "no channel configured: set POSUKK_TELEGRAM_TOKEN (see 'Run on Telegram' in the README)"
        )
    if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
        raise RunError(
            "webhook mode needs POSUKK_TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)"
        )
    try:
        Offset.parse_all(settings.reminders)
    except ValueError as error:
        raise RunError(f"POSUKK_REMINDERS: {error}") from error
    database = await Database.open(settings.database)
    try:
        texts = Texts.load()
        engine = Engine(database, texts, settings, Knowledge.load())
        telegram = TelegramChannel(engine, settings, texts)
        limits = {
            Channel.TELEGRAM: RateLimit(
                settings.telegram_per_second,
                settings.telegram_per_chat_interval,
                settings.telegram_per_group_chat_interval,
            )
        }
        delivery = OutboxDelivery(
            database,
            {Channel.TELEGRAM: telegram.sender},
            limits,
            quiet=QuietHours.parse(settings.quiet_hours),
            default_timezone=settings.default_timezone,
            templates=settings.whatsapp_templates,
            texts=texts,
        )
        worker = DeliveryWorker(delivery)
        telegram.on_outbox = worker.nudge
        scheduler = AsyncIOScheduler(timezone=dt.UTC)

        async def tick() -> None:
            if await run_due_jobs(
                database, texts, engine.knowledge, settings, utc_now(), delivery.senders.keys()
            ):
                worker.nudge()

        async def broadcasts() -> None:
            if await advance_broadcasts(
                database, texts, settings.data_dir, utc_now(), delivery.senders.keys()
            ):
                worker.nudge()

        scheduler.add_job(tick, "interval", seconds=JOB_TICK_SECONDS, max_instances=1,
                          coalesce=True, next_run_time=dt.datetime.now(dt.UTC))  # fmt: skip
        scheduler.add_job(broadcasts, "interval", seconds=BROADCAST_TICK_SECONDS,
                          max_instances=1, coalesce=True)  # fmt: skip
        scheduler.start()
        try:
            await _serve(telegram, worker, settings, stop)
        finally:
            scheduler.shutdown(wait=False)
    finally:
        await database.close()


async def _serve(
    telegram: TelegramChannel, worker: DeliveryWorker, settings: Settings, stop: asyncio.Event
) -> None:
    application = telegram.application
    updater = application.updater
    assert updater is not None
    await application.initialize()
    try:
        await telegram.sync_commands()
        await application.start()
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            assert secret is not None
            await updater.start_webhook(
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
                url_path=WEBHOOK_PATH,
                webhook_url=settings.telegram_webhook_url,
                secret_token=secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("Telegram webhook listening on port %s", settings.telegram_webhook_port)
        else:
            await updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, timeout=settings.telegram_poll_timeout
            )
            log.info("Telegram long polling started")
        worker.start()
        await stop.wait()
        log.info("stopping: finishing in-flight updates")
        await updater.stop()
        await application.stop()
        await worker.stop()
    finally:
        await application.shutdown()


def run_forever(settings: Settings) -> None:
    """Run until SIGTERM or Ctrl-C."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_bot(settings, stop)

    asyncio.run(main())
