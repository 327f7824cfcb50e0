"""`posukk export incidents` and `posukk report monthly`: files for the Puskesmas, read from the
database by an admin (audited as `admin-cli`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import re
from pathlib import Path

from bot.app.admin import ADMIN_ACTOR
from bot.app.errors import CommandError
from bot.base.clock import utc_now
from bot.base.settings import Settings
from bot.reports.exports import Export, collect_reports, export_bytes, file_name
from bot.reports.indicators import MonthIndicators, month_indicators
from bot.reports.recap_workbook import recap_workbook
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Group
from content.loader import load_topics


class ExportError(CommandError):
    """An export that cannot be made; the message says why."""


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


def _existing_database(settings: Settings, override: str | None) -> Path | str:
    path = settings.database_at(override)
    if isinstance(path, Path) and not path.is_file():  # opening it would create an empty one
        raise ExportError(f"no database at {path}")
    return path


def _write(output: Path, content: bytes) -> None:
    try:
        output.write_bytes(content)
    except OSError as error:
        raise ExportError(f"cannot write {output}: {error.strerror}") from error


def export_incidents(settings: Settings, args: argparse.Namespace) -> None:
    first, last = _day(args.first, "--from"), _day(args.last, "--to")
    if first > last:
        raise ExportError(f"--from {first} is after --to {last}")
    path = _existing_database(settings, args.db)
    export = asyncio.run(_collect(path, args.regency, first, last))
    output: Path = args.output or Path(file_name(first, last, args.format))
    _write(output, export_bytes(export, load_topics(), args.format))
    print(f"wrote {output} ({len(export.reports)} reports)")


def report_monthly(settings: Settings, args: argparse.Namespace) -> None:
    month = _month(args.month)
    path = _existing_database(settings, args.db)
    months = asyncio.run(_recap(path, args.regency, month))
    _write(args.out, recap_workbook(months, settings.status_rules))
    print(f"wrote {args.out} ({len(months)} groups)")


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


async def _collect(path: Path | str, regency: str | None, first: dt.date, last: dt.date) -> Export:
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


async def _recap(path: Path | str, regency: str | None, month: dt.date) -> list[MonthIndicators]:
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
