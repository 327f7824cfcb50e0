"""Every format the bot stores and parses again: outbox dedupe keys and choice-token prefixes.

A dedupe key names the event a message is about ("sos:12:2026-11-23T01:00:00+00:00"); a message
to one person of several adds `:to:<user>`, a post in a group chat `:chat:<chat>`. Keys are
compared and ranged over in SQL (`OutboxRepository.withdraw`, the follow-up counts, erasure), so
their shapes live here and nowhere else: the outbox refuses a key of a family not listed
(`check_dedupe_key`), and each family says whether its messages are about a person other than
their recipient, which is what `/hapusdata` blanks (`about_person_sql`).

Choice tokens (`Choice.token`, the data of a button) are stored in sessions (`offered`) and
standing offers; `TOKEN_PREFIXES` lists who owns each prefix. Tokens are at most 64 bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.base.clock import to_db


class About(StrEnum):
    """Whom a family's messages are about, besides their recipient: what erasure must blank."""

    RECIPIENT = "recipient"
    """Only the recipient (`outbox.user_id`): erasing them blanks the row by its user id."""
    PERSON = "person"
    """A person named by the key's `{user}`: their SOS, a call for help, their joining."""
    INCIDENT = "incident"
    """A report, by the key's `{incident}`: erased with its reporter."""


PARTS = re.compile(r"\{(\w+)\}")
"""The named parts of a key template."""


@dataclass(frozen=True)
class KeyFamily:
    template: str
    about: About

    @property
    def prefix(self) -> str:
        """The fixed start of every key of the family, up to its first part."""
        return self.template.split("{", 1)[0]

    def key(self, **parts: object) -> str:
        return self.template.format(**parts)

    def like(self, **columns: str) -> str:
        """A SQL `LIKE` pattern for the family's keys, with some parts given as SQL expressions
        (`user=":user"`) and the others matching anything."""
        pieces, end = [], 0
        for found in PARTS.finditer(self.template):
            pieces.append(_literal(self.template[end : found.start()]))
            column = columns.get(found.group(1))
            pieces.append(f"' || {column} || '" if column else "%")
            end = found.end()
        pieces.append(_literal(self.template[end:]))
        return f"'{''.join(pieces)}' ESCAPE '\\'"


def _literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("'", "''")


SOS = KeyFamily("sos:{user}:{at}", About.PERSON)
ALARM = KeyFamily("alarm:{user}:{at}", About.PERSON)
"""A typed emergency in the middle of a report."""
HELP = KeyFamily("help:{user}:{at}", About.PERSON)
"""\"Tell my kader\" under a first-aid answer."""
MEMBER_JOINED = KeyFamily("member_joined:{group}:{user}:{at}", About.PERSON)
INCIDENT = KeyFamily("incident:{incident}:{event}", About.INCIDENT)
"""Alerts, escalations, action notices and "worse" notices of a report."""
FOLLOWUP = KeyFamily("followup:{incident}:{number}", About.RECIPIENT)
"""The questions to the reporter after 24 and 72 hours."""
REMINDER = KeyFamily("reminder:{activity}:{start}:{offset}", About.RECIPIENT)
ACTIVITY_CANCELLED = KeyFamily("cancelled:{activity}:{at}", About.RECIPIENT)
ACTIVITY_CHANGED = KeyFamily("changed:{activity}:{at}", About.RECIPIENT)
BROADCAST = KeyFamily("bc:{broadcast}:{event}", About.RECIPIENT)
"""A broadcast's messages (`:to:<user>`), progress, report and answer notices."""
REPLY = KeyFamily("reply:{channel}:{message}:{number}", About.RECIPIENT)
"""An answer the platform refused for the moment, queued."""
CHAT_REMOVED = KeyFamily("chat:{chat}:removed:{at}", About.RECIPIENT)
WEEKLY_SUMMARY = KeyFamily("summary:week:{week}", About.RECIPIENT)
MONTHLY_RECAP = KeyFamily("recap:month:{group}:{month}", About.RECIPIENT)

FAMILIES = (
    SOS,
    ALARM,
    HELP,
    MEMBER_JOINED,
    INCIDENT,
    FOLLOWUP,
    REMINDER,
    ACTIVITY_CANCELLED,
    ACTIVITY_CHANGED,
    BROADCAST,
    REPLY,
    CHAT_REMOVED,
    WEEKLY_SUMMARY,
    MONTHLY_RECAP,
)


def check_dedupe_key(key: str) -> None:
    """Refuse a key of no family: its messages would escape erasure and the counts."""
    if not any(key.startswith(family.prefix) for family in FAMILIES):
        raise ValueError(f"dedupe key of no family in bot/base/keys.py: {key[:40]!r}")


def about_person_sql(user: str = ":user", incident_reporter: str = "incidents.reporter_id") -> str:
    """SQL true for an outbox row about the person `user` (a SQL expression) as others see it."""
    named = [
        f"dedupe_key LIKE {family.like(user=user)}"
        for family in FAMILIES
        if family.about is About.PERSON
    ]
    reports = [
        f"EXISTS (SELECT 1 FROM incidents WHERE {incident_reporter} = {user}"
        f" AND outbox.dedupe_key LIKE {family.like(incident='incidents.id')})"
        for family in FAMILIES
        if family.about is About.INCIDENT
    ]
    return " OR ".join([*named, *reports])


def recipient_key(event: str, recipient_id: int) -> str:
    """The dedupe key of one event's message to one person."""
    return f"{event}:to:{recipient_id}"


def chat_key(event: str, chat_id: int) -> str:
    """The dedupe key of one event's post in one group chat."""
    return f"{event}:chat:{chat_id}"


def sos(user_id: int, now: dt.datetime) -> str:
    return SOS.key(user=user_id, at=to_db(now))


def alarm(user_id: int, now: dt.datetime) -> str:
    return ALARM.key(user=user_id, at=to_db(now))


def call_for_help(user_id: int, now: dt.datetime) -> str:
    return HELP.key(user=user_id, at=to_db(now))


def member_joined(group_id: int, user_id: int, now: dt.datetime) -> str:
    return MEMBER_JOINED.key(group=group_id, user=user_id, at=to_db(now))


def incident(incident_id: int, event: str) -> str:
    """`alert`, `escalation`, `<action>:<time>`, `worse:<time>`."""
    return INCIDENT.key(incident=incident_id, event=event)


def followup(incident_id: int, number: int) -> str:
    return FOLLOWUP.key(incident=incident_id, number=number)


def followup_range_sql(incident: str) -> tuple[str, str]:
    """SQL bounds of a report's follow-up keys, `>= low AND < high`, walking the keys' index."""
    prefix = FOLLOWUP.prefix
    return f"'{prefix}' || {incident} || ':'", f"'{prefix}' || {incident} || ';'"


def reminder(activity_id: int, start: dt.datetime | None = None) -> str:
    """The prefix of an activity's reminders, of one occurrence if `start` is given.

    The occurrence is ISO-8601 UTC text, so keys of later occurrences sort after earlier ones.
    """
    return f"{REMINDER.prefix}{activity_id}:{to_db(start) if start else ''}"


def reminder_at(activity_id: int, start: dt.datetime, offset: str) -> str:
    return REMINDER.key(activity=activity_id, start=to_db(start), offset=offset)


def activity_changed(activity_id: int, now: dt.datetime, *, cancelled: bool) -> str:
    family = ACTIVITY_CANCELLED if cancelled else ACTIVITY_CHANGED
    return family.key(activity=activity_id, at=to_db(now))


def broadcast(broadcast_id: int, event: str | None = None) -> str:
    """The broadcast itself (its group-chat posts add `:chat:<chat>`), or one of its events:
    `report`, `progress:<n>`, `answers:<answer>`; its messages are `to:<user>`."""
    base = f"{BROADCAST.prefix}{broadcast_id}"
    return f"{base}:{event}" if event else base


def broadcast_to_sql(broadcast: str, user: str) -> str:
    """SQL for the key of a broadcast's message to one recipient (see `broadcast`)."""
    return f"'{BROADCAST.prefix}' || {broadcast} || ':to:' || {user}"


def queued_reply(channel: str, message_id: str, number: int) -> str:
    return REPLY.key(channel=channel, message=message_id, number=number)


def chat_removed(chat_id: int, linked_at: dt.datetime) -> str:
    return CHAT_REMOVED.key(chat=chat_id, at=linked_at.isoformat())


def weekly_summary(slot: dt.datetime) -> str:
    return WEEKLY_SUMMARY.key(week=f"{slot:%G-W%V}")


def monthly_recap(group_id: int, month: dt.date) -> str:
    return MONTHLY_RECAP.key(group=group_id, month=f"{month:%Y-%m}")


TOKEN_PREFIXES = {
    "act:": "handlers/activities.py: new activity, change an activity",
    "att:": "handlers/attendance.py: record an activity (`att:u:<user>` names a person)",
    "bc:": "handlers/broadcast*.py: compose, history, `bc:<id>:<control>` standing offers",
    "browse:": "handlers/browse.py",
    "cat:": "handlers/browse.py: a category",
    "cmd:": "handlers/menu.py: a main-menu entry",
    "code:": "handlers/group.py, handlers/activities.py: no join code",
    "consent:": "handlers/consent.py",
    "erase:": "handlers/erasure.py",
    "fa:": "handlers/first_aid.py",
    "fu:": "handlers/followup.py: `fu:<report>:<n>:<answer>` standing offers and the questions",
    "group:": "handlers/group.py",
    "inc:": "handlers/incident_alerts.py: `inc:<report>:<action>` standing offers",
    "join:": "handlers/group.py",
    "lang:": "handlers/language.py",
    "leave:": "handlers/group.py",
    "link:": "handlers/linking.py",
    "phone:": "handlers/registration.py",
    "pack:": "handlers/cards.py: a card pack",
    "profile:": "handlers/profile.py",
    "rep:": "handlers/report.py",
    "rsvp:": "scheduler/reminders.py, handlers/rsvp.py: `rsvp:<activity>:<start>:<answer>`",
    "rv:": "handlers/incident_views.py (`rv:<report>` names a report)",
    "sos:": "handlers/sos.py",
    "topic:": "handlers/first_aid.py: a first-aid topic",
    "away:": "handlers/away.py",
}
"""Who owns each choice-token prefix; a token of no prefix here is refused by the tests."""


def token_known(token: str) -> bool:
    return any(token.startswith(prefix) for prefix in TOKEN_PREFIXES)


def reported_incident_token(incident_id: int) -> str:
    """A kader's list of reports names each report's reporter through this token."""
    return f"rv:{incident_id}"


def attendee_token(user_id: int) -> str:
    """A ticked name in an activity record."""
    return f"att:u:{user_id}"


def rsvp(activity_id: int, start: dt.datetime, answer: str) -> str:
    return f"rsvp:{activity_id}:{int(start.timestamp())}:{answer}"
