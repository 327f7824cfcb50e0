"""Queue a message for someone other than the person writing (steps and scheduled jobs alike),
or a post for the group chats a Pos UKK is linked to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from bot.base import keys
from bot.base.models import Choice, Reply, Unsent
from bot.base.texts import Texts
from bot.storage.database import UnitOfWork
from bot.storage.records import GroupChat, User


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
        language=recipient.language,
    )
    added = await queue_reply(
        uow, recipient, reply, kind=kind, dedupe_key=dedupe_key, now=now, urgent=urgent,
        not_before=not_before,
    )  # fmt: skip
    if added and choices:
        await uow.offers.add(recipient.id, [t for t, _ in choices], choices_valid_until or now)
    return added


async def queue_reply(
    uow: UnitOfWork,
    recipient: User,
    reply: Reply,
    *,
    kind: str,
    dedupe_key: str,
    now: dt.datetime,
    urgent: bool = False,
    not_before: dt.datetime | None = None,
) -> bool:
    """Write one outbox row holding a reply already in the recipient's language (one with a
    picture or a document); the recipient is added to `dedupe_key` as in `notify`."""
    return await uow.outbox.enqueue(
        user_id=recipient.id,
        kind=kind,
        payload=reply.model_dump_json(),
        dedupe_key=keys.recipient_key(dedupe_key, recipient.id),
        now=now,
        urgent=urgent,
        not_before=not_before,
    )


async def post_to_group_chats(
    uow: UnitOfWork,
    chats: Sequence[GroupChat],
    message: Callable[[str], Reply],
    *,
    kind: str,
    dedupe_key: str,
    now: dt.datetime,
    broadcast_id: int | None = None,
) -> int:
    """Queue one post in each of a Pos UKK's group `chats`, `message(language)` in the chat's
    language; how many were new.

    Only reminders and broadcasts come here: everyone in a group chat reads everything.
    """
    posted = 0
    for chat in chats:
        posted += await uow.outbox.enqueue(
            group_chat_id=chat.id,
            kind=kind,
            payload=message(chat.language).model_dump_json(),
            dedupe_key=keys.chat_key(dedupe_key, chat.id),
            now=now,
            broadcast_id=broadcast_id,
        )
    return posted


async def tell_kader_chat_gone(
    uow: UnitOfWork, texts: Texts, chat: GroupChat, now: dt.datetime
) -> None:
    """The bot was removed from a linked group chat: its kader should know reminders no longer
    reach it, and how to fix that."""
    for kader in await uow.users.many(await uow.roles.kader_ids(chat.group_id)):
        await notify(
            uow,
            texts,
            kader,
            kind="group_chat",
            key="chat.removed_notice",
            dedupe_key=keys.chat_removed(chat.id, chat.linked_at),
            now=now,
            params={"title": chat.title},
        )


async def queue_unsent(uow: UnitOfWork, unsent: Unsent, now: dt.datetime, start: int = 0) -> int:
    """Hand the replies to a person's message, from number `start` on, to the outbox, urgent:
    the platform refused them for the moment, or the bot stopped before sending them. Each
    reply is queued once, however often this is called. How many were queued."""
    user = await uow.users.by_platform(unsent.channel, unsent.user_ref)
    if user is None:
        return 0  # not registered: no outbox row can name them
    for number, reply in enumerate(unsent.replies[start:], start=start):
        await uow.outbox.enqueue(
            user_id=user.id,
            kind="reply",
            payload=reply.model_dump_json(),
            dedupe_key=keys.queued_reply(unsent.channel, unsent.message_id, number),
            now=now,
            urgent=True,
        )
    return len(unsent.replies) - start
