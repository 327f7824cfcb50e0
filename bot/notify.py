"""Queue a message for someone other than the person writing: steps and scheduled jobs alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from bot.models import Choice, Reply
from bot.storage.database import UnitOfWork
from bot.storage.records import User
from bot.texts import Texts


async def notify(
    uow: UnitOfWork,
    texts: Texts,
    recipient: User,
    *,
    kind: str,
    key: str,
    dedupe_key: str,
    now: dt.datetime,
    urgent: bool = False,
    choices: Sequence[tuple[str, str]] = (),
    choices_valid_until: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    params: Mapping[str, object] | None = None,
) -> bool:
    """Write one outbox row in the recipient's language, in the caller's transaction.

    `dedupe_key` names the event; the recipient is added here, so one event reaches each
    recipient once. `params` fill the text's placeholders. `choices` are (token, label key)
    pairs that stay valid for the recipient until `choices_valid_until`; `not_before` holds the
    message until then (a follow-up a day later). Returns False if this event had already been
    queued for them.
    """
    reply = Reply(
        key=key,
        text=texts.get(recipient.language, key, **(params or {})),
        choices=tuple(Choice(token=t, label=texts.get(recipient.language, k)) for t, k in choices),
    )
    added = await uow.outbox.enqueue(
        user_id=recipient.id,
        kind=kind,
        payload=reply.model_dump_json(),
        dedupe_key=f"{dedupe_key}:to:{recipient.id}",
        now=now,
        urgent=urgent,
        not_before=not_before,
    )
    if added and choices:
        await uow.offers.add(recipient.id, [t for t, _ in choices], choices_valid_until or now)
    return added
