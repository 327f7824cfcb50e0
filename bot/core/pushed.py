"""Typed answers to the buttons of a message the bot sent on its own (a reminder, an incident
alert, a follow-up): when that message came after the conversation's last question, "1" or
"hadir" answers it, not the question asked earlier. The most recent message with choices wins;
once answered, the conversation's time moves past it (`Pushed.answered_until`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import ValidationError

from bot.base.models import Choice, Reply
from bot.core.choices import match_offered
from bot.storage.database import UnitOfWork


@dataclass(frozen=True)
class Pushed:
    """A choice of a message the bot sent on its own, and when that message went out."""

    choice: Choice
    sent_at: dt.datetime

    @property
    def answered_until(self) -> dt.datetime:
        """What the conversation's time becomes once this is answered: after the message (by a
        second, as times are kept to the second), so the next words go to the conversation."""
        return self.sent_at + dt.timedelta(seconds=1)


async def pushed_choice(
    uow: UnitOfWork, user_id: int, since: dt.datetime | None, text: str, now: dt.datetime
) -> Pushed | None:
    """The choice `text` names in the latest message with choices sent to the person since
    `since` (when the conversation last answered them), if its offer is still valid."""
    for payload, sent_at in await uow.outbox.pushed_since(user_id, since):
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
        return Pushed(chosen, sent_at)
    return None
