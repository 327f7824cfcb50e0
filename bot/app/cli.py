"""The `posukk` command: `chat` (terminal chat with demo data), `admin` (groups and roles),
`export` and `report` (files for the Puskesmas) and `db` (backups)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import re
import sys
from pathlib import Path

from bot.app.admin import ADMIN_ACTOR, AdminError, add_admin_parser, run_admin
from bot.app.backup import BackupError, backup_database
from bot.app.chat import ConsoleChat, DemoClock, is_interactive, run_console
from bot.app.content_commands import add_content_parsers, run_content, run_match
from bot.app.demo import seed_demo
from bot.app.logsafe import install_log_redaction
from bot.app.private_files import keep_private
from bot.app.runner import RunError, run_forever
from bot.base.clock import utc_now
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.reports.exports import FORMATS, Export, collect_reports, export_bytes, file_name
from bot.reports.indicators import MonthIndicators, month_indicators
from bot.reports.recap_workbook import recap_workbook
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Group
from content.knowledge import Knowledge
from content.loader import ContentError, load_topics
from handlers import CONVERSATIONS


class ExportError(Exception):
    """An export that cannot be made; the message says why."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posukk", description="Pos UKK chatbot")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="chat with the bot in this terminal (demo data)")
    chat.add_argument("--db", help="database file (default: the user's data directory)")
    chat.add_argument("--as", dest="persona", default="saya", help="demo persona to start as")
    commands.add_parser("run", help="run the bot on Telegram (settings from POSUKK_* variables)")
    add_admin_parser(commands)
    add_content_parsers(commands)
    export = commands.add_parser("export", help="write files for the Puskesmas")
    what = export.add_subparsers(dest="what", required=True)
    incidents = what.add_parser(
        "incidents", help="incident reports (one row each) and the LBKP-1 monthly counts"
    )
    incidents.add_argument(
        "--from",
        dest="first",
        required=True,
        metavar="YYYY-MM-DD",
        help="first day: reports sent from 00:00, each group's local time",
    )
    incidents.add_argument(
        "--to",
        dest="last",
        required=True,
        metavar="YYYY-MM-DD",
        help="last day: reports sent until 24:00, each group's local time",
    )
    incidents.add_argument("--regency", help="only the groups of this regency or city")
    incidents.add_argument("--db", help="database file (default: the user's data directory)")
    incidents.add_argument(
        "--format", choices=FORMATS, default="xlsx", help="xlsx (default) or csv"
    )
    incidents.add_argument(
        "--output", type=Path, help="file to write (default: laporan-insiden-FROM-TO.FORMAT here)"
    )
    report = commands.add_parser("report", help="write recaps for the Puskesmas and the kader")
    kind = report.add_subparsers(dest="kind", required=True)
    monthly = kind.add_parser(
        "monthly", help="each group's indicators, status and score for a month (xlsx)"
    )
    monthly.add_argument("--month", required=True, metavar="YYYY-MM", help="the month")
    monthly.add_argument("--regency", help="only the groups of this regency or city")
    monthly.add_argument("--db", help="database file (default: the user's data directory)")
    monthly.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("--db", help="database file (default: the user's data directory)")
    db_actions = db.add_subparsers(dest="action", required=True)
    backup = db_actions.add_parser(
        "backup", help="copy the database to PATH, safely even while `posukk run` is running"
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    return parser


def _database_path(settings: Settings, override: str | None) -> Path:
    return Path(override) if override else settings.database


async def _chat(settings: Settings, args: argparse.Namespace) -> None:
    database = await Database.open(_database_path(settings, args.db))
    try:
        await seed_demo(database, utc_now())
        engine = Engine(
            database, Texts.load(), settings, Knowledge.load(), CONVERSATIONS, clock=DemoClock()
        )
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


def _day(text: str, option: str) -> dt.date:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(text)
    raise ExportError(f"{option} {text!r} is not a date written YYYY-MM-DD")


def _month(text: str) -> dt.date:
    """The first day of the month written YYYY-MM."""
    if re.fullmatch(r"\d{4}-\d{2}", text):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(f"{text}-01")
    raise ExportError(f"--month {text!r} is not a month written YYYY-MM")


def _existing_database(settings: Settings, override: str | None) -> Path:
    path = _database_path(settings, override)
    if not path.is_file():  # opening it would create an empty database
        raise ExportError(f"no database at {path}")
    return path


def _write(output: Path, content: bytes) -> None:
    try:
        output.write_bytes(content)
    except OSError as error:
        raise ExportError(f"cannot write {output}: {error.strerror}") from error


def _export(settings: Settings, args: argparse.Namespace) -> None:
    first, last = _day(args.first, "--from"), _day(args.last, "--to")
    if first > last:
        raise ExportError(f"--from {first} is after --to {last}")
    path = _existing_database(settings, args.db)
    export = asyncio.run(_collect(path, args.regency, first, last))
    output: Path = args.output or Path(file_name(first, last, args.format))
    _write(output, export_bytes(export, load_topics(), args.format))
    print(f"wrote {output} ({len(export.reports)} reports)")


def _report(settings: Settings, args: argparse.Namespace) -> None:
    month = _month(args.month)
    path = _existing_database(settings, args.db)
    months = asyncio.run(_recap(path, args.regency, month))
    _write(args.out, recap_workbook(months, settings.status_rules))
    print(f"wrote {args.out} ({len(months)} groups)")


def _backup(settings: Settings, args: argparse.Namespace) -> None:
    made = backup_database(_database_path(settings, args.db), args.path, force=args.force)
    print(
        f"wrote {made.path} ({made.size} bytes): {made.users} users, {made.groups} groups,"
        f" {made.incidents} incidents"
    )


async def _groups(uow: UnitOfWork, regency: str | None) -> list[Group]:
    """Every group, or the groups in `regency` (any letter case)."""
    groups = await uow.groups.all()
    if regency is None:
        return groups
    known = sorted({group.regency for group in groups})
    wanted = regency.strip().casefold()
    groups = [group for group in groups if group.regency.casefold() == wanted]
    if not groups:
        raise ExportError(
            f"no group is in regency {regency!r}; known: {', '.join(known) or 'none'}"
        )
    return groups


def _subject(groups: list[Group]) -> str:
    """The audit subject of an export: the groups it covers."""
    return f"groups:{','.join(str(group.id) for group in groups)}"


async def _collect(path: Path, regency: str | None, first: dt.date, last: dt.date) -> Export:
    """The reports of every group, or of the groups in `regency`."""
    database = await Database.open(path)
    try:
        async with database.unit_of_work() as uow:
            groups = await _groups(uow, regency)
            export = await collect_reports(uow, groups, first, last, [g.id for g in groups])
            await uow.audit.record(
                actor=ADMIN_ACTOR,
                action="export-incidents",
                subject=_subject(groups),
                now=utc_now(),
                first=first.isoformat(),
                last=last.isoformat(),
                reports=len(export.reports),
            )
            return export
    finally:
        await database.close()


async def _recap(path: Path, regency: str | None, month: dt.date) -> list[MonthIndicators]:
    """The month's indicators of every group, or of the groups in `regency`."""
    database = await Database.open(path)
    try:
        async with database.unit_of_work() as uow:
            groups = await _groups(uow, regency)
            if not groups:
                raise ExportError(f"no group in the database at {path}")
            months = [await month_indicators(uow, group, month) for group in groups]
            await uow.audit.record(
                actor=ADMIN_ACTOR,
                action="export-recap",
                subject=_subject(groups),
                now=utc_now(),
                month=month.strftime("%Y-%m"),
                groups=len(groups),
            )
            return months
    finally:
        await database.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_log_redaction(settings)
    if args.command in ("chat", "admin", "export", "report", "db"):  # the ones with data
        keep_private(settings.data_dir)
    try:
        if args.command == "chat":
            asyncio.run(_chat(settings, args))
        elif args.command == "run":
            logging.getLogger().setLevel(logging.INFO)
            logging.getLogger("httpx").setLevel(logging.WARNING)  # its request log holds the token
            run_forever(settings)
        elif args.command == "admin":
            asyncio.run(_admin(settings, args))
        elif args.command == "export":
            _export(settings, args)
        elif args.command == "report":
            _report(settings, args)
        elif args.command == "db":
            _backup(settings, args)
        elif args.command == "match":
            run_match(Knowledge.load(), args, sys.stdin, sys.stdout)
        else:
            run_content(Knowledge.load(), args, sys.stdout)
    except (AdminError, BackupError, ContentError, ExportError, RunError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
