"""Buttons in messages the bot sent on its own (reminders, alerts, follow-ups).

They can be pressed from any conversation, long after they were sent, as long as the offer to
that person is still valid. Each kind of token has one handler; it answers with a reply (and the
current question is asked again) or with an outcome that starts a flow of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.conversation import StandingHandler
from handlers.broadcast_history import is_broadcast_control, take_broadcast_control
from handlers.followup import is_followup, take_followup
from handlers.incident_alerts import is_incident_action, take_incident_action
from handlers.rsvp import is_rsvp, take_rsvp

HANDLERS: tuple[tuple[Callable[[str], bool], StandingHandler], ...] = (
    (is_rsvp, take_rsvp),
    (is_incident_action, take_incident_action),
    (is_followup, take_followup),
    (is_broadcast_control, take_broadcast_control),
)


def standing_handler(token: str) -> StandingHandler | None:
    return next((handler for matches, handler in HANDLERS if matches(token)), None)
