"""`posukk run`: the bot on Telegram and WhatsApp, sharing one database and delivery job."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import signal
from collections.abc import AsyncIterator

from starlette.types import ASGIApp

from bot.app.errors import CommandError
from bot.app.event_loop import loop_factory, loop_name
from bot.app.private_files import keep_private
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_updates import TelegramPoller, webhook_app
from bot.channels.webhook import CannotListen, serving
from bot.channels.whatsapp import WhatsAppChannel
from bot.core.engine import Engine
from bot.core.inbox import Inbox
from bot.core.outbound import Sender
from bot.domain.quiet import QuietHours
from bot.storage.database import Database
from bot.web.app import dashboard_app
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from scheduler.periodic import periodic_jobs
from scheduler.reminders import Offset
from scheduler.worker import REAL_TIME, DeliveryTime, DeliveryWorker

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "message_reaction",
    "my_chat_member",
]
WEBHOOK_PATH = "telegram"
IN_HAND_SECONDS = 10.0
"""On stop, how long the updates in hand may take; the rest are handled at the next start."""


class RunError(CommandError):
    """The bot cannot start with these settings; the message says what to set."""


def check_settings(settings: Settings) -> None:
    """Refuse to start with settings that cannot work, saying what to set."""
    missing_whatsapp = settings.missing_whatsapp_settings()
    if settings.telegram_token is None and not settings.whatsapp_wanted():
        raise RunError(
            "no channel configured: set POSUKK_TELEGRAM_TOKEN or the POSUKK_WHATSAPP_* settings"
            " (see 'Run on Telegram' and 'Run on WhatsApp' in the README)"
        )
    if settings.whatsapp_wanted() and missing_whatsapp:
        raise RunError(f"WhatsApp also needs {', '.join(missing_whatsapp)}")
    if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
        raise RunError(
            "webhook mode needs POSUKK_TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)"
        )
    try:
        Offset.parse_all(settings.reminders)
    except ValueError as error:
        raise RunError(f"POSUKK_REMINDERS: {error}") from error


TELEGRAM_POLLING = "telegram-polling"
"""Held by the one process that long-polls Telegram (`Database.try_hold`)."""


async def refuse_second_poller(database: Database, settings: Settings) -> None:
    """Telegram hands each update to one `getUpdates` caller and confirms batches by offset, so
    two pollers would take each other's updates: long polling is for one process. Several
    processes on one PostgreSQL database run in webhook mode behind a load balancer."""
    polling = settings.telegram_token is not None and not settings.telegram_webhook_url
    if polling and not await database.try_hold(TELEGRAM_POLLING):
        raise RunError(
            "another posukk run already long-polls Telegram on this database; Telegram gives"
            " each update to one poller, so run several processes in webhook mode"
            " (POSUKK_TELEGRAM_WEBHOOK_URL, see 'Deployment' in the README)"
        )


async def run_bot(
    settings: Settings,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    delivery_time: DeliveryTime = REAL_TIME,
) -> None:
    """Run every configured channel until `stop` is set, then finish in-flight work and close
    everything. Telegram and WhatsApp share the database, the engine and the delivery job.
    `ready` is set once every channel listens; `delivery_time` is the outbox's clocks."""
    check_settings(settings)
    keep_private(settings.data_dir)
    database = await Database.open(settings.database, pool_size=settings.database_pool)
    try:
        await refuse_second_poller(database, settings)
        texts = Texts.load()
        knowledge = Knowledge.load(settings.cache_dir)
        engine = Engine(database, texts, settings, knowledge, CONVERSATIONS)
        inbox = Inbox(database)
        telegram = (
            TelegramChannel(engine, settings, texts, inbox) if settings.telegram_token else None
        )
        whatsapp = (
            None
            if settings.missing_whatsapp_settings()
            else WhatsAppChannel(engine, settings, texts, inbox)
        )
        senders: dict[Channel, Sender] = {}
        limits: dict[Channel, RateLimit] = {}
        if telegram is not None:
            senders[Channel.TELEGRAM] = telegram.sender
            limits[Channel.TELEGRAM] = RateLimit(
                settings.telegram_per_second,
                settings.telegram_per_chat_interval,
                settings.telegram_per_group_chat_interval,
                in_flight=settings.telegram_in_flight,
            )
        if whatsapp is not None:
            senders[Channel.WHATSAPP] = whatsapp.sender
            limits[Channel.WHATSAPP] = RateLimit(
                settings.whatsapp_per_second, 1.0, in_flight=settings.whatsapp_in_flight
            )
        delivery = OutboxDelivery(
            database,
            senders,
            limits,
            quiet=QuietHours.parse(settings.quiet_hours),
            lease=dt.timedelta(seconds=settings.outbox_lease_seconds),
            default_timezone=settings.default_timezone,
            templates=settings.whatsapp_templates,
            texts=texts,
            clock=delivery_time.clock,
            monotonic=delivery_time.monotonic,
            sleep=delivery_time.sleep,
            answering=inbox,
        )
        worker = DeliveryWorker(delivery, delivery_time.heartbeat)
        database.when_queued(worker.nudge)
        if whatsapp is not None:  # a failure reported later may free a row to send again
            whatsapp.on_outbox = worker.nudge
        jobs = periodic_jobs(
            database, texts, knowledge, settings, delivery.senders.keys(), worker.nudge
        )
        dashboard = (
            dashboard_app(database, texts, settings, knowledge) if settings.web_port else None
        )
        async with jobs:
            await _serve(telegram, whatsapp, dashboard, inbox, worker, settings, stop, ready)
    finally:
        await database.close()


async def _serve(
    telegram: TelegramChannel | None,
    whatsapp: WhatsAppChannel | None,
    dashboard: ASGIApp | None,
    inbox: Inbox,
    worker: DeliveryWorker,
    settings: Settings,
    stop: asyncio.Event,
    ready: asyncio.Event | None,
) -> None:
    """On start, what was stored before the last stop is handled first. On stop: no new
    updates first (and no dashboard pages), then the updates in hand are finished, then the
    delivery worker, then the platforms' clients."""
    async with contextlib.AsyncExitStack() as stack:
        if telegram is not None:
            await stack.enter_async_context(_telegram_client(telegram))
        if whatsapp is not None:
            stack.push_async_callback(whatsapp.close)
        worker.start()
        stack.push_async_callback(worker.stop)
        stack.push_async_callback(inbox.stop, IN_HAND_SECONDS)
        await inbox.recover()
        try:
            if telegram is not None:
                await stack.enter_async_context(_telegram_updates(telegram, inbox, settings))
            if whatsapp is not None:
                await stack.enter_async_context(_whatsapp_webhooks(whatsapp, settings))
            if dashboard is not None and settings.web_port is not None:
                port = settings.web_port
                await stack.enter_async_context(
                    serving(dashboard, settings.web_listen, port, "web dashboard")
                )
                log.info("web dashboard listening on port %s", port)
        except CannotListen as error:
            raise RunError(str(error)) from error
        log.info("ready")
        if ready is not None:
            ready.set()
        await stop.wait()
        log.info("stopping: finishing in-flight updates")


@contextlib.asynccontextmanager
async def _telegram_client(telegram: TelegramChannel) -> AsyncIterator[None]:
    application = telegram.application
    await application.initialize()
    try:
        await telegram.sync_commands()
        await application.start()
        try:
            yield
        finally:
            await application.stop()
    finally:
        await application.shutdown()


@contextlib.asynccontextmanager
async def _telegram_updates(
    telegram: TelegramChannel, inbox: Inbox, settings: Settings
) -> AsyncIterator[None]:
    """Updates into the inbox: a webhook when a public URL is set, else long polling."""
    bot = telegram.application.bot
    if settings.telegram_webhook_url:
        secret = settings.telegram_webhook_secret
        assert secret is not None
        app = webhook_app(
            WEBHOOK_PATH, secret.get_secret_value(), inbox, settings.max_webhook_bytes
        )
        port = settings.telegram_webhook_port
        async with serving(app, settings.telegram_webhook_listen, port, "Telegram webhook"):
            await bot.set_webhook(
                settings.telegram_webhook_url,
                secret_token=secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("Telegram webhook listening on port %s", port)
            yield
        return
    assert settings.telegram_token is not None
    await bot.delete_webhook()
    poller = TelegramPoller(
        f"{settings.telegram_api_url}{settings.telegram_token.get_secret_value()}",
        inbox,
        ALLOWED_UPDATES,
        settings.telegram_poll_timeout,
    )
    polling = asyncio.create_task(poller.run(), name="telegram-polling")
    log.info("Telegram long polling started")
    try:
        yield
    finally:
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await poller.confirm()
        await poller.close()


@contextlib.asynccontextmanager
async def _whatsapp_webhooks(whatsapp: WhatsAppChannel, settings: Settings) -> AsyncIterator[None]:
    port = settings.whatsapp_webhook_port
    async with serving(whatsapp.app, settings.whatsapp_webhook_listen, port, "WhatsApp webhooks"):
        log.info(
            "WhatsApp webhooks listening on port %s at %s", port, settings.whatsapp_webhook_path
        )
        yield


def run_forever(settings: Settings) -> None:
    """Run until SIGTERM or Ctrl-C."""
    # What is loaded by now (modules, libraries: 100,000 objects) lives as long as the process;
    # frozen, full garbage collections no longer walk it: 2 ms each instead of 80-100 ms, a
    # pause for everyone writing in.
    gc.collect()
    gc.freeze()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        log.info("event loop: %s", loop_name(loop))
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_bot(settings, stop)

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(main())
