"""Reports no kader acted on in time go to the officers covering the group, once each."""

from __future__ import annotations

import datetime as dt
import logging

from bot.base import keys
from bot.base.texts import Texts
from bot.core.notify import notify
from bot.domain.incident_text import (
    ALERT_ACTIONS,
    BUTTONS_VALID,
    action_choices,
    describe,
    reporter_label,
    reporter_phone,
    victim_label,
)
from bot.storage.database import Database
from content.knowledge import Knowledge

log = logging.getLogger(__name__)


async def escalate_unattended(
    database: Database, texts: Texts, knowledge: Knowledge, now: dt.datetime, after_hours: float
) -> int:
    """Alert the officers about each open report older than `after_hours`; returns how many."""
    escalated = 0
    async with database.unit_of_work() as uow:
        for incident in await uow.incidents.unattended(now - dt.timedelta(hours=after_hours)):
            group = await uow.groups.get(incident.group_id) if incident.group_id else None
            if group is None or not await uow.incidents.mark_escalated(incident.id, now):
                continue
            reporter = await uow.users.get(incident.reporter_id) if incident.reporter_id else None
            officers = await uow.users.many(await uow.roles.officer_ids(group.id, group.regency))
            for officer in officers:  # officers see who sent an anonymous report
                name = reporter_label(texts, officer.language, incident, reporter, named=True)
                await notify(
                    uow,
                    texts,
                    officer,
                    kind="incident_escalation",
                    key="incident.escalation",
                    dedupe_key=keys.incident(incident.id, "escalation"),
                    now=now,
                    urgent=incident.severe,
                    choices=action_choices(incident, ALERT_ACTIONS),
                    choices_valid_until=now + BUTTONS_VALID,
                    params={
                        "hours": f"{after_hours:g}",
                        "group": group.name,
                        "name": victim_label(texts, officer.language, incident, name),
                        "summary": describe(texts, knowledge, officer.language, incident),
                        "reporter": name,
                        "phone": reporter_phone(incident, reporter, named=True),
                    },
                )
            if not officers:
                log.warning("report %s is unattended and no officer covers its group", incident.id)
            escalated += 1
    return escalated
