"""`/siaran` beyond writing: past broadcasts with their counts, pausing, resuming or cancelling
one, the answers recipients sent (the author's inbox), and a recipient answering.

Only a broadcast's author (or an admin) sees it or controls it; a broadcast id in a button is
looked up again and checked on every press.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.base import keys, timefmt
from bot.base.models import Choice, Reply
from bot.core.conversation import (
    Answer,
    Draft,
    Finish,
    Flow,
    Goto,
    Outcome,
    Retry,
    StartFlow,
    Step,
    StepContext,
)
from bot.domain.access import roles
from bot.domain.audience import Audience, resolve
from bot.domain.broadcast_message import (
    CONTROL_ACTIONS,
    CONTROLS_OPEN_FOR,
    control_token,
    controls,
    describe,
    tally_text,
)
from bot.storage.broadcasts import Broadcast
from bot.storage.records import Role
from handlers.broadcast_draft import BroadcastDraft

HISTORY_LIMIT = 8
INBOX_LIMIT = 10
ANSWER_MAX_CHARS = 1000
ANSWER_NOTICE_EVERY = dt.timedelta(hours=1)
"""The author hears of new answers at most this often per broadcast; the inbox has them all."""
_CONTROL = re.compile(r"^bc:(\d{1,12}):(pause|resume|cancel|reply)$")
_TRANSITIONS = {
    "pause": ("paused", ("sending",)),
    "resume": ("sending", ("paused",)),
    "cancel": ("cancelled", ("scheduled", "sending", "paused")),
}
_SUBCOMMANDS = {"riwayat": "history", "history": "history", "masuk": "inbox", "inbox": "inbox"}


async def open_broadcasts(ctx: StepContext, args: str) -> Outcome:
    """`/siaran`, `/siaran riwayat` (history) or `/siaran masuk` (answers received)."""
    return StartFlow("broadcast", step=_SUBCOMMANDS.get(args.strip().lower()))


async def offer_controls(ctx: StepContext, broadcast_id: int) -> None:
    """Let the author press pause / resume / cancel from any message about this broadcast."""
    tokens = [control_token(broadcast_id, action) for action in CONTROL_ACTIONS]
    await ctx.uow.offers.add(ctx.registered_user.id, tokens, ctx.now + CONTROLS_OPEN_FOR)


def _is_admin(ctx: StepContext) -> bool:
    return Role.ADMIN in roles(ctx.grants)


async def _visible(ctx: StepContext, broadcast_id: int) -> Broadcast | None:
    broadcast = await ctx.uow.broadcasts.get(broadcast_id)
    if broadcast is None or ctx.user is None:
        return None
    return broadcast if broadcast.author_id == ctx.user.id or _is_admin(ctx) else None


def _excerpt(text: str, length: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


# -- the writing step's extra buttons ---------------------------------------------------------
async def ask_compose_extras(ctx: StepContext) -> list[Choice]:
    unread = await ctx.uow.broadcasts.unread_replies(ctx.registered_user.id)
    return [
        ctx.choice("bc:history", "broadcast.history_button"),
        Choice(token="bc:inbox", label=ctx.t("broadcast.inbox_button", count=unread)),
    ]


async def take_compose_extras(ctx: StepContext, token: str) -> Outcome:
    moves = {"bc:history": "history", "bc:inbox": "inbox"}
    if token in moves:
        return Goto(moves[token])
    return Retry(ctx.reply("broadcast.text_needed"))


# -- history and one broadcast ------------------------------------------------------------------
async def ask_history(ctx: StepContext) -> Reply:
    author = None if _is_admin(ctx) else ctx.registered_user.id
    broadcasts = await ctx.uow.broadcasts.by_author(author, HISTORY_LIMIT)
    new = ctx.choice("bc:new", "broadcast.new_button")
    if not broadcasts:
        return ctx.reply("broadcast.history_empty", choices=[new])
    lines, choices = [], []
    for broadcast in broadcasts:
        when = timefmt.local_label(ctx.texts, ctx.language, broadcast.send_at, ctx.timezone)
        status = ctx.t(f"broadcast.status_{broadcast.status}")
        lines.append(f"#{broadcast.id} · {when} · {status}\n   {_excerpt(broadcast.text, 60)}")
        label = f"#{broadcast.id} {_excerpt(broadcast.text, 18)}"
        choices.append(Choice(token=f"bc:show:{broadcast.id}", label=label[:24]))
    return ctx.reply("broadcast.history", choices=[*choices, new], lines="\n".join(lines))


async def take_history(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "bc:new":
        return Goto("compose")
    shown = (answer.choice or "").removeprefix("bc:show:")
    if not shown.isdigit() or await _visible(ctx, int(shown)) is None:
        return Retry(ctx.reply("common.pick_option"))
    ctx.draft_as(BroadcastDraft).shown = int(shown)
    return Goto("detail")


async def ask_detail(ctx: StepContext) -> Reply:
    back = ctx.choice("bc:back", "common.back")
    broadcast = await _visible(ctx, ctx.draft_as(BroadcastDraft).shown)
    if broadcast is None:
        return ctx.reply("broadcast.not_found", choices=[back])
    groups, _ = await resolve(
        ctx.uow, broadcast.author_id, Audience.model_validate(broadcast.audience)
    )
    tally = await ctx.uow.broadcasts.tally(broadcast.id)
    author = await ctx.uow.users.get(broadcast.author_id)
    zone = ctx.timezone
    return ctx.reply(
        "broadcast.detail",
        choices=[*controls(ctx.texts, ctx.language, broadcast), back],
        author=author.name if author else "-",
        audience=describe(
            ctx.texts, ctx.language, Audience.model_validate(broadcast.audience), groups
        ),
        created=timefmt.local_label(ctx.texts, ctx.language, broadcast.created_at, zone),
        send_at=timefmt.local_label(ctx.texts, ctx.language, broadcast.send_at, zone),
        finished=timefmt.local_label(ctx.texts, ctx.language, broadcast.finished_at, zone)
        if broadcast.finished_at
        else "-",
        text=broadcast.text,
        tally=tally_text(ctx.texts, ctx.language, broadcast, tally),
    )


async def take_detail(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "bc:back":
        return Goto("history")
    found = _CONTROL.match(answer.choice or "")
    if found is None or found.group(2) == "reply":
        return Retry(ctx.reply("common.pick_option"))
    result = await control(ctx, int(found.group(1)), found.group(2))
    return Goto("detail", [result])


async def control(ctx: StepContext, broadcast_id: int, action: str) -> Reply:
    """Pause, resume or cancel a broadcast, if this person may and its state allows."""
    broadcast = await _visible(ctx, broadcast_id)
    if broadcast is None:
        return ctx.reply("broadcast.not_found")
    status, expected = _TRANSITIONS[action]
    if not await ctx.uow.broadcasts.set_status(broadcast_id, status, ctx.now, expected=expected):
        state = ctx.t(f"broadcast.status_{broadcast.status}")
        return ctx.reply("broadcast.not_now", id=broadcast_id, status=state)
    if action == "cancel":
        await ctx.uow.broadcasts.withdraw(broadcast_id)
    await ctx.uow.audit.record(
        actor=f"user:{ctx.registered_user.id}",
        action=f"broadcast-{action}",
        subject=f"broadcast:{broadcast_id}",
        now=ctx.now,
    )
    await offer_controls(ctx, broadcast_id)
    changed = await ctx.uow.broadcasts.get(broadcast_id)
    assert changed is not None
    tally = await ctx.uow.broadcasts.tally(broadcast_id)
    return ctx.reply(
        f"broadcast.{action}_done",
        choices=controls(ctx.texts, ctx.language, changed),
        tally=tally_text(ctx.texts, ctx.language, changed, tally),
    )


# -- answers ----------------------------------------------------------------------------------
async def ask_inbox(ctx: StepContext) -> Reply:
    user = ctx.registered_user
    answers = await ctx.uow.broadcasts.replies_for(user.id, INBOX_LIMIT)
    choices = [
        ctx.choice("bc:new", "broadcast.new_button"),
        ctx.choice("bc:history", "broadcast.history_button"),
    ]
    if not answers:
        return ctx.reply("broadcast.inbox_empty", choices=choices)
    people = {
        person.id: person for person in await ctx.uow.users.many([a.user_id for a in answers])
    }
    lines = []
    for answer in answers:
        person = people.get(answer.user_id)
        group_id = await ctx.uow.memberships.active_group_id(answer.user_id)
        group = await ctx.uow.groups.get(group_id) if group_id is not None else None
        when = timefmt.local_label(ctx.texts, ctx.language, answer.created_at, ctx.timezone)
        new = "🆕 " if answer.read_at is None else ""
        name = person.name if person else "-"
        where = f" ({group.name})" if group else ""
        lines.append(
            f"{new}{name}{where} · #{answer.broadcast_id} · {when}\n   {_excerpt(answer.text, 300)}"
        )
    await ctx.uow.broadcasts.mark_replies_read(user.id, ctx.now)
    return ctx.reply("broadcast.inbox", choices=choices, lines="\n".join(lines))


async def take_inbox(ctx: StepContext, answer: Answer) -> Outcome:
    moves = {"bc:new": "compose", "bc:history": "history"}
    if answer.choice in moves:
        return Goto(moves[answer.choice])
    return Retry(ctx.reply("common.pick_option"))


HISTORY_STEPS = {
    "history": Step(ask_history, take_history),
    "detail": Step(ask_detail, take_detail),
    "inbox": Step(ask_inbox, take_inbox),
}


# -- buttons on broadcast messages, pressed later from anywhere ---------------------------------
def is_broadcast_control(token: str) -> bool:
    return _CONTROL.match(token) is not None


async def take_broadcast_control(ctx: StepContext, token: str) -> Reply | Outcome:
    found = _CONTROL.match(token)
    assert found is not None
    broadcast_id, action = int(found.group(1)), found.group(2)
    if action != "reply":
        return await control(ctx, broadcast_id, action)
    if not await ctx.uow.broadcasts.received(broadcast_id, ctx.registered_user.id):
        return ctx.reply("broadcast.not_found")
    return StartFlow("broadcast_answer", AnswerDraft(broadcast=broadcast_id))


class AnswerDraft(Draft):
    broadcast: int = 0
    """The broadcast answered."""


async def ask_answer(ctx: StepContext) -> Reply:
    broadcast = await ctx.uow.broadcasts.get(ctx.draft_as(AnswerDraft).broadcast)
    author = await ctx.uow.users.get(broadcast.author_id) if broadcast else None
    return ctx.reply(
        "broadcast.ask_answer",
        choices=[ctx.choice("bc:ans:cancel", "common.cancel_label")],
        name=author.name if author else "-",
    )


async def take_answer(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "bc:ans:cancel":
        return Finish([ctx.reply("common.cancelled")])
    text = (answer.text or "").strip()
    if not text:
        return Retry(ctx.reply("broadcast.answer_needed"))
    if len(text) > ANSWER_MAX_CHARS:
        return Retry(ctx.reply("broadcast.text_too_long", length=len(text), limit=ANSWER_MAX_CHARS))
    broadcast = await ctx.uow.broadcasts.get(ctx.draft_as(AnswerDraft).broadcast)
    author = await ctx.uow.users.get(broadcast.author_id) if broadcast else None
    if broadcast is None or author is None:
        return Finish([ctx.reply("broadcast.not_found")])
    answer_id = await ctx.uow.broadcasts.add_reply(
        broadcast.id, ctx.registered_user.id, text, ctx.now
    )
    notices = keys.broadcast(broadcast.id, "answers:")
    if not await ctx.uow.outbox.queued_since(notices, ctx.now - ANSWER_NOTICE_EVERY):
        await ctx.notify(
            author,
            kind="broadcast_answer",
            key="broadcast.answers_waiting",
            dedupe_key=keys.broadcast(broadcast.id, f"answers:{answer_id}"),
            id=broadcast.id,
        )
    return Finish([ctx.reply("broadcast.answer_sent", name=author.name)])


ANSWER = Flow(
    name="broadcast_answer",
    first="write",
    steps={"write": Step(ask_answer, take_answer)},
    draft=AnswerDraft,
)
