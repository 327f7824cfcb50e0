"""WhatsApp's 24-hour customer-service window: outside it, only approved templates go through.

The window opens each time the person writes to the bot. A proactive message to someone whose
window has closed is sent as the template configured for its kind, with the message's text as
the template's one parameter. The templates to register with Meta are listed in the README.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from bot.base.models import Channel, Reply, Template
from bot.storage.records import OutboxMessage

SERVICE_WINDOW = {Channel.WHATSAPP: dt.timedelta(hours=24)}
SAFETY_MARGIN = dt.timedelta(minutes=5)
"""Treat the window as closed a little early: the send itself takes time."""
MAX_PARAM_CHARS = 900
"""A template body may hold 1024 characters in all; leave room for the template's own words."""

# Outbox kinds and the template family each is sent with outside the window.
TEMPLATE_FAMILY = {
    "reminder": "reminder",
    "followup": "followup",
    "broadcast": "broadcast",
}
DEFAULT_FAMILY = "alert"
"""SOS, incident alerts and updates, help requests, new members: all short notices to act on."""

_SPACES = re.compile(r" {4,}")


def outside_window(message: OutboxMessage, channel: Channel, now: dt.datetime) -> bool:
    window = SERVICE_WINDOW.get(channel)
    if window is None:
        return False
    last = message.last_seen_at
    return last is None or now - last > window - SAFETY_MARGIN


def template_param(text: str) -> str:
    """WhatsApp refuses a parameter with line breaks, tabs or more than 4 spaces in a row."""
    flat = " · ".join(line.strip() for line in text.splitlines() if line.strip())
    flat = _SPACES.sub("   ", flat.replace("\t", " "))
    return flat if len(flat) <= MAX_PARAM_CHARS else flat[: MAX_PARAM_CHARS - 1] + "…"


def as_template(
    reply: Reply, kind: str, language: str, templates: Mapping[str, str]
) -> Reply | None:
    """The reply as its kind's template, or None if no template is configured for that kind."""
    name = templates.get(TEMPLATE_FAMILY.get(kind, DEFAULT_FAMILY))
    if not name:
        return None
    template = Template(name=name, language=language, params=(template_param(reply.text),))
    return reply.model_copy(update={"template": template, "choices": (), "replaces": None})
