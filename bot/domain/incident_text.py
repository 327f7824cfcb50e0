"""How a report reads to the people who act on it: its summary, who reported it as each reader may
see them, and the status buttons of alerts (`inc:<report>:<action>`), for the alerts of
`handlers` and the escalations of `scheduler` alike."""

from __future__ import annotations

import datetime as dt
import re

from bot.base.texts import Texts
from bot.storage.incidents import Incident
from bot.storage.records import User
from content.knowledge import Knowledge, pick

ACTION_EFFECT = {
    "contacted": ("contacted", None),
    "treated": ("treated", "on_site"),
    "referred": ("referred", "puskesmas"),
    "hospital": ("referred", "hospital"),
    "died": ("closed", "died"),
    "closed": ("closed", None),
}
"""What each kader action sets: (status, outcome); an outcome of None keeps the one recorded."""


ALERT_ACTIONS = ("contacted", "treated", "referred", "closed")
ACTION_TOKEN = re.compile(rf"^inc:(\d+):({'|'.join(ACTION_EFFECT)})$")
BUTTONS_VALID = dt.timedelta(days=30)


def describe(texts: Texts, knowledge: Knowledge, language: str, incident: Incident) -> str:
    """A report in a few lines, for alerts and views, in the reader's language."""
    topic = knowledge.topics.get(incident.topic_id or "")
    what = " - ".join(
        v for v in (pick(topic.title, language) if topic else "", incident.what_text) if v
    )
    when = dt.date.fromisoformat(incident.occurred_on).strftime("%d-%m-%Y")
    if incident.occurred_time:
        when += f" {incident.occurred_time}"
    body = texts.get(language, f"incident.body_{incident.body_part}") if incident.body_part else "-"
    kind = texts.get(language, f"incident.kind_{incident.kind}")
    return texts.get(
        language,
        "incident.summary",
        reference=incident.reference,
        kind=kind,
        what=what or "-",
        body=body,
        when=when,
        place=incident.place_text or "-",
        status=texts.get(language, f"incident.status_{incident.status}"),
    )


def reporter_label(
    texts: Texts, language: str, incident: Incident, reporter: User | None, *, named: bool
) -> str:
    """The reporter as one viewer may see them: "anonim" to the kader of an anonymous report
    (`named` says whether this viewer sees through it, see `names_anonymous_reporters`)."""
    if incident.anonymous and not named:
        return texts.get(language, "incident.anonymous")
    return reporter.name if reporter else "-"


def reporter_phone(incident: Incident, reporter: User | None, *, named: bool) -> str:
    hidden = incident.anonymous and not named
    return (reporter.phone if reporter and not hidden else None) or "-"


def victim_label(texts: Texts, language: str, incident: Incident, reporter: str) -> str:
    """Who was hurt; `reporter` is the reporter's label for this viewer."""
    if incident.victim == "other":
        return incident.victim_name or "-"
    if incident.victim == "none":
        return texts.get(language, "incident.nobody_hurt")
    return reporter


# -- kader and officers act ----------------------------------------------------------------------
def action_choices(incident: Incident, actions: tuple[str, ...]) -> list[tuple[str, str]]:
    """(token, label key) pairs for status buttons on one report."""
    return [(f"inc:{incident.id}:{a}", f"incident.action_{a}") for a in actions]
