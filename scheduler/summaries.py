"""Summaries nobody has to ask for: each officer's weekly summary (Monday 08:00 local by default)
and each kader's recap of the month just ended (on the 1st at the same time).

They go through the outbox with one dedupe key per person and period, so each is sent once,
whatever the number of ticks, restarts or bot processes. A bot that was down at the hour still
sends them when it comes back, up to `LATE_BY_AT_MOST` later; after that it waits for the next.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from bot.base import keys
from bot.base.models import Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.notify import queue_reply
from bot.domain.access import groups_in_scope
from bot.reports import achievement, area_summary
from bot.reports.area_summary import LOOK_BACK, area_month, scope_label, summary_reply
from bot.reports.indicators import MonthIndicators, local_month, month_indicators
from bot.storage.database import Database
from bot.storage.records import Group, Role, User
from content.knowledge import Knowledge

log = logging.getLogger(__name__)

LATE_BY_AT_MOST = dt.timedelta(days=1)


def latest_weekly_slot(now: dt.datetime, zone: str, weekday: int, at: dt.time) -> dt.datetime:
    """The last moment at or before `now` that was `weekday` at `at`, local time in `zone`."""
    local = now.astimezone(ZoneInfo(zone))
    day = local.date() - dt.timedelta(days=(local.weekday() - weekday) % 7)
    slot = dt.datetime.combine(day, at, tzinfo=local.tzinfo)
    return slot if slot <= local else slot - dt.timedelta(days=7)


def latest_monthly_slot(now: dt.datetime, zone: str, at: dt.time) -> dt.datetime:
    """The last 1st of a month at `at`, local time in `zone`, at or before `now`."""
    local = now.astimezone(ZoneInfo(zone))
    slot = dt.datetime.combine(local.date().replace(day=1), at, tzinfo=local.tzinfo)
    if slot <= local:
        return slot
    previous = (slot.date() - dt.timedelta(days=1)).replace(day=1)
    return dt.datetime.combine(previous, at, tzinfo=local.tzinfo)


async def queue_summaries(
    database: Database, texts: Texts, knowledge: Knowledge, settings: Settings, now: dt.datetime
) -> int:
    """Queue the weekly summaries and monthly recaps now due; how many were queued."""
    if not settings.scheduled_summaries:
        return 0
    return await _weekly_summaries(database, texts, knowledge, settings, now) + (
        await _monthly_recaps(database, texts, settings, now)
    )


async def _weekly_summaries(
    database: Database, texts: Texts, knowledge: Knowledge, settings: Settings, now: dt.datetime
) -> int:
    zone = settings.default_timezone
    slot = latest_weekly_slot(now, zone, settings.weekly_summary_day, settings.summary_time)
    if now - slot >= LATE_BY_AT_MOST:
        return 0
    event = keys.weekly_summary(slot)
    async with database.unit_of_work() as uow:
        officers = await uow.users.many(await uow.roles.holder_ids(Role.OFFICER))
    queued = 0

    read: dict[tuple[int, dt.date, dt.datetime | None], MonthIndicators] = {}

    async def month_of(group: Group, month: dt.date, until: dt.datetime | None) -> MonthIndicators:
        """Read once per run (officers' areas overlap, an admin's is everything), one group at a
        time, read-only: no unit of work waits for it."""
        key = (group.id, month, until)
        if key not in read:
            async with database.reading() as uow:
                read[key] = await month_indicators(uow, group, month, until=until)
        return read[key]

    for officer in officers:
        async with database.reading() as uow:
            if await uow.outbox.id_of(keys.recipient_key(event, officer.id)) is not None:
                continue
            grants = await uow.roles.active(officer.id)
            groups = await groups_in_scope(uow, grants)
        if not groups:
            continue
        scope = scope_label(texts, officer.language, groups, grants)
        month = local_month(now - LOOK_BACK, zone)
        area = await area_month(month_of, scope, groups, month, now)
        rules = settings.status_rules
        reply = await area_summary.with_chart(
            summary_reply(texts, officer.language, area, rules, key="recap.weekly"),
            texts, officer.language, knowledge, area, rules, settings.data_dir,
        )  # fmt: skip
        async with database.unit_of_work() as uow:
            queued += await queue_reply(
                uow, officer, reply, kind="summary", dedupe_key=event, now=now
            )
    return queued


async def _monthly_recaps(
    database: Database, texts: Texts, settings: Settings, now: dt.datetime
) -> int:
    async with database.unit_of_work() as uow:
        groups = await uow.groups.all()
    queued = 0
    for group in groups:
        slot = latest_monthly_slot(now, group.timezone, settings.summary_time)
        if now - slot < LATE_BY_AT_MOST:
            queued += await _recap_for_kader(database, texts, settings, group, slot, now)
    return queued


async def _recap_for_kader(
    database: Database,
    texts: Texts,
    settings: Settings,
    group: Group,
    slot: dt.datetime,
    now: dt.datetime,
) -> int:
    """The month before `slot`, to each kader of `group` who has not had it yet."""
    month = local_month(slot - dt.timedelta(days=1), group.timezone)
    event = keys.monthly_recap(group.id, month)
    async with database.reading() as uow:
        kader: list[User] = [
            person
            for person in await uow.users.many(await uow.roles.kader_ids(group.id))
            if await uow.outbox.id_of(keys.recipient_key(event, person.id)) is None
        ]
        if not kader:
            return 0
        indicators = await month_indicators(uow, group, month)
    queued = 0
    for person in kader:
        lines = achievement.achievement_reply(
            texts, person.language, indicators, settings.status_rules
        )
        text = texts.get(person.language, "recap.monthly", achievement=lines.text)
        reply = await achievement.with_chart(
            Reply(key="recap.monthly", text=text),
            texts, person.language, indicators, settings.data_dir,
        )  # fmt: skip
        async with database.unit_of_work() as uow:
            queued += await queue_reply(uow, person, reply, kind="recap", dedupe_key=event, now=now)
    if queued:
        log.info("monthly recap of %s for group %s queued to %d kader", month, group.id, queued)
    return queued
