"""Typed answers to the buttons of a message the bot sent on its own (a reminder, an incident
alert, a follow-up): when that message came after the conversation's last question, "1" or
"hadir" answers it, not the question asked earlier. The most recent message with choices wins."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from bot.base.models import Choice, Reply
from bot.core.choices import match_offered
from bot.storage.database import UnitOfWork


async def pushed_choice(
    uow: UnitOfWork, user_id: int, since: dt.datetime | None, text: str, now: dt.datetime
) -> Choice | None:
    """The choice `text` names in the latest message with choices sent to the person after
    `since` (when the conversation last answered them), if its offer is still valid."""
    for payload in await uow.outbox.pushed_since(user_id, since):
        try:
            choices = Reply.model_validate_json(payload).choices
        except ValidationError:
            continue  # blanked by the retention job
        if not choices:
            continue
        offered = [{"token": c.token, "label": c.label} for c in choices]
        token = match_offered(text, offered)
        chosen = next((c for c in choices if c.token == token), None)
        if chosen is None or not await uow.offers.valid(user_id, chosen.token, now):
            return None
        return chosen
    return None
