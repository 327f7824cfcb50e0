"""`posukk web`: the web dashboard on its own (`posukk run` serves it too when POSUKK_WEB_PORT
is set), on the same database as the bot."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.app.errors import CommandError
from bot.app.private_files import keep_private
from bot.base.settings import WEB_DEFAULT_PORT, Settings
from bot.base.texts import Texts
from bot.channels.webhook import CannotListen, serving
from bot.storage.database import Database
from bot.web.app import dashboard_app
from content.knowledge import Knowledge


async def serve_dashboard(
    settings: Settings, db: str | None, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Serve the dashboard until `stop` is set."""
    keep_private(settings.data_dir)
    database = await Database.open(settings.database_at(db))
    try:
        app = dashboard_app(database, Texts.load(), settings, Knowledge.load(settings.cache_dir))
        port = settings.web_port or WEB_DEFAULT_PORT
        try:
            async with serving(app, settings.web_listen, port, "web dashboard"):
                print(
                    f"Dasbor web di {settings.web_listen}:{port}, dibuka lewat"
                    f" {settings.web_address} (tautan dari /web di chat)",
                    file=sys.stderr,
                )
                if ready is not None:
                    ready.set()
                await stop.wait()
        except CannotListen as error:
            raise CommandError(str(error)) from error
    finally:
        await database.close()


def web_command(settings: Settings, db: str | None) -> None:
    """Run until SIGTERM or Ctrl-C."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve_dashboard(settings, db, stop)

    asyncio.run(main())
