"""The `posukk` command: `chat` (terminal chat with demo data) and `admin` (groups and roles)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.admin import AdminError, add_admin_parser, run_admin
from bot.channels.console import ConsoleChat, DemoClock, is_interactive, run_console
from bot.clock import utc_now
from bot.content_commands import add_content_parsers, run_content, run_match
from bot.demo import seed_demo
from bot.engine import Engine
from bot.runner import RunError, run_forever
from bot.settings import Settings
from bot.storage.database import Database
from bot.texts import Texts
from content.knowledge import Knowledge
from content.loader import ContentError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posukk", description="Pos UKK chatbot")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="chat with the bot in this terminal (demo data)")
    chat.add_argument("--db", help="database file (default: the user's data directory)")
    chat.add_argument("--as", dest="persona", default="saya", help="demo persona to start as")
    commands.add_parser("run", help="run the bot on Telegram (settings from POSUKK_* variables)")
    add_admin_parser(commands)
    add_content_parsers(commands)
    return parser


def _database_path(settings: Settings, override: str | None) -> Path:
    return Path(override) if override else settings.database


async def _chat(settings: Settings, args: argparse.Namespace) -> None:
    database = await Database.open(_database_path(settings, args.db))
    try:
        await seed_demo(database, utc_now())
        engine = Engine(database, Texts.load(), settings, Knowledge.load(), clock=DemoClock())
        chat = ConsoleChat(
            engine, database, sys.stdout, args.persona.lower(), quiet_hours=settings.quiet_hours
        )
        await run_console(chat, sys.stdin, is_interactive(sys.stdin))
    finally:
        await database.close()


async def _admin(settings: Settings, args: argparse.Namespace) -> None:
    database = await Database.open(_database_path(settings, args.db))
    try:
        await run_admin(database, args, sys.stdout, settings.telegram_bot_username)
    finally:
        await database.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    try:
        if args.command == "chat":
            asyncio.run(_chat(settings, args))
        elif args.command == "run":
            logging.getLogger().setLevel(logging.INFO)
            logging.getLogger("httpx").setLevel(logging.WARNING)  # its request log holds the token
            run_forever(settings)
        elif args.command == "admin":
            asyncio.run(_admin(settings, args))
        elif args.command == "match":
            run_match(Knowledge.load(), args, sys.stdin, sys.stdout)
        else:
            run_content(Knowledge.load(), args, sys.stdout)
    except (AdminError, ContentError, RunError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
