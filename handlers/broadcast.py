"""`/siaran`: an officer (or a kader, for their own group) writes one message to many people.

Write the message, add a photo if wanted, choose whom it reaches, see it as recipients will with
the number of recipients per channel, then send it now or at a set time. The audience is checked
against the author's scope again when it is counted, saved and queued.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.base import timefmt
from bot.base.models import Choice, Reply
from bot.core.conversation import Answer, Finish, Flow, Goto, Outcome, Retry, Step, StepContext
from bot.domain.audience import Audience, Scope, group_chats, reachable_groups, resolve, scope_value
from bot.domain.broadcast_message import MAX_CHARS, describe, recipient_messages, thousands
from bot.domain.dates import parse_when
from bot.domain.quiet import QuietHours
from bot.storage.records import Group
from handlers.broadcast_draft import BroadcastDraft
from handlers.broadcast_history import (
    HISTORY_STEPS,
    ask_compose_extras,
    take_compose_extras,
)
from handlers.paging import on_page, page_moves, pages_of, turned

PAGE = 8
"""Groups listed per page when picking them one by one."""
SCOPES = (Scope.ALL, Scope.REGENCY, Scope.DISTRICT, Scope.GROUPS, Scope.SECTOR)


def _draft(ctx: StepContext) -> BroadcastDraft:
    return ctx.draft_as(BroadcastDraft)


def _audience(ctx: StepContext) -> Audience:
    return _draft(ctx).audience or Audience()


def _set_audience(ctx: StepContext, audience: Audience) -> None:
    _draft(ctx).audience = audience


# -- the message ------------------------------------------------------------------------------
async def ask_compose(ctx: StepContext) -> Reply:
    return ctx.reply("broadcast.ask_text", choices=await ask_compose_extras(ctx), limit=MAX_CHARS)


async def take_compose(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice:
        return await take_compose_extras(ctx, answer.choice)
    text = (answer.text or "").strip()
    if not text:
        return Retry(ctx.reply("broadcast.text_needed"))
    if len(text) > MAX_CHARS:
        return Retry(ctx.reply("broadcast.text_too_long", length=len(text), limit=MAX_CHARS))
    _draft(ctx).text = text
    return Goto("preview" if _draft(ctx).audience else "photo")


async def ask_photo(ctx: StepContext) -> Reply:
    return ctx.reply(
        "broadcast.ask_photo", choices=[ctx.choice("bc:nophoto", "broadcast.no_photo")]
    )


async def take_photo(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.photo_ref:
        _draft(ctx).photo = answer.photo_ref
    elif answer.choice != "bc:nophoto":
        return Retry(ctx.reply("broadcast.photo_or_skip"))
    return await _after_message(ctx)


async def _after_message(ctx: StepContext) -> Outcome:
    """A kader (or anyone who can reach one group only) has no audience to choose."""
    if _draft(ctx).audience:
        return Goto("preview")
    groups = await reachable_groups(ctx.uow, ctx.grants)
    if not groups:
        return Finish([ctx.reply("broadcast.no_groups")])
    if len(groups) == 1:
        _set_audience(ctx, Audience(scope=Scope.GROUPS, values=(str(groups[0].id),)))
        return Goto("preview")
    return Goto("scope")


# -- whom it reaches --------------------------------------------------------------------------
async def ask_scope(ctx: StepContext) -> Reply:
    groups = await reachable_groups(ctx.uow, ctx.grants)
    choices = [
        ctx.choice(f"bc:scope:{scope.value}", f"broadcast.scope_{scope.value}") for scope in SCOPES
    ]
    return ctx.reply("broadcast.ask_scope", choices=choices, groups=len(groups))


async def take_scope(ctx: StepContext, answer: Answer) -> Outcome:
    chosen = (answer.choice or "").removeprefix("bc:scope:")
    if chosen not in {scope.value for scope in SCOPES}:
        return Retry(ctx.reply("common.pick_option"))
    scope = Scope(chosen)
    roles, language = _audience(ctx).roles, _audience(ctx).language
    _set_audience(ctx, Audience(scope=scope, roles=roles, language=language))
    _draft(ctx).page = 0
    return Goto("preview" if scope is Scope.ALL else "scope_value")


def _label(ctx: StepContext, scope: Scope, group: Group) -> str:
    match scope:
        case Scope.DISTRICT:
            return group.district
        case Scope.SECTOR:
            return ctx.t(f"reports.sector_{group.sector.value}")
        case Scope.GROUPS:
            return group.name
    return group.regency


async def _options(ctx: StepContext) -> list[tuple[str, str]]:
    """(value, label) of each regency, district, group or sector within reach, sorted."""
    scope = _audience(ctx).scope
    found: dict[str, str] = {}
    for group in await reachable_groups(ctx.uow, ctx.grants):
        found.setdefault(scope_value(scope, group), _label(ctx, scope, group))
    return sorted(found.items(), key=lambda item: item[1].lower())


async def ask_scope_value(ctx: StepContext) -> Reply:
    audience, options = _audience(ctx), await _options(ctx)
    if audience.scope is not Scope.GROUPS:
        choices = [
            Choice(token=f"bc:val:{i}", label=label[:24]) for i, (_, label) in enumerate(options)
        ]
        return ctx.reply(f"broadcast.ask_{audience.scope.value}", choices=choices)
    pages = pages_of(len(options), PAGE)
    page = on_page(_draft(ctx).page, pages)
    shown = options[page * PAGE : (page + 1) * PAGE]
    chosen = set(audience.values)
    choices = [
        Choice(token=f"bc:grp:{value}", label=("✓ " if value in chosen else "") + label[:22])
        for value, label in shown
    ]
    choices += page_moves(ctx, "bc:grp:", page, pages)
    if chosen:
        choices.append(
            Choice(token="bc:grp:done", label=ctx.t("broadcast.groups_done", count=len(chosen)))
        )
    return ctx.reply("broadcast.ask_groups", choices=choices, count=len(chosen))


async def take_scope_value(ctx: StepContext, answer: Answer) -> Outcome:
    audience, options = _audience(ctx), await _options(ctx)
    token = answer.choice or ""
    if audience.scope is not Scope.GROUPS:
        index = token.removeprefix("bc:val:")
        if not index.isdigit() or int(index) >= len(options):
            return Retry(ctx.reply("common.pick_option"))
        _set_audience(ctx, audience.model_copy(update={"values": (options[int(index)][0],)}))
        return Goto("preview")
    page = turned(token, "bc:grp:", _draft(ctx).page)
    if page is not None:
        _draft(ctx).page = page
        return Goto("scope_value")
    if token == "bc:grp:done":
        return Goto("preview")
    value = token.removeprefix("bc:grp:")
    if value not in {v for v, _ in options}:
        return Retry(ctx.reply("common.pick_option"))
    chosen = set(audience.values) ^ {value}
    _set_audience(ctx, audience.model_copy(update={"values": tuple(sorted(chosen))}))
    return Goto("scope_value")


# -- preview and send --------------------------------------------------------------------------
def _send_at(ctx: StepContext) -> dt.datetime | None:
    return _draft(ctx).send_at


async def ask_preview(ctx: StepContext) -> Reply:
    user = ctx.registered_user
    audience = _audience(ctx)
    groups, recipients = await resolve(ctx.uow, user.id, audience)
    count = await ctx.uow.broadcasts.count_audience(recipients)
    chats = await group_chats(ctx.uow, groups, audience)
    photo = _draft(ctx).photo
    message = (await recipient_messages(ctx.uow, ctx.texts, user, _draft(ctx).text, None, 0))[
        ctx.language
    ]
    channels = " · ".join(
        f"{channel.capitalize()} {thousands(n, ctx.language)}"
        for channel, n in sorted(count.by_channel.items())
    )
    send_at = _send_at(ctx)
    zone = ctx.timezone
    if send_at is not None:
        when = timefmt.local_label(ctx.texts, ctx.language, send_at, zone)
    elif QuietHours.parse(ctx.settings.quiet_hours).contains(
        ctx.now.astimezone(ZoneInfo(zone)).time()
    ):
        when = ctx.t("broadcast.when_quiet", hours=ctx.settings.quiet_hours)
    else:
        when = ctx.t("broadcast.when_now")
    choices = [ctx.choice("bc:send", "broadcast.send")] if count.reachable or chats else []
    choices += [
        ctx.choice("bc:later", "broadcast.later"),
        ctx.choice("bc:roles", "broadcast.pick_roles"),
        ctx.choice("bc:lang", "broadcast.pick_language"),
        ctx.choice("bc:edit", "broadcast.edit_text"),
        ctx.choice("bc:drop", "common.cancel_label"),
    ]
    if len(await reachable_groups(ctx.uow, ctx.grants)) > 1:
        choices.insert(-1, ctx.choice("bc:audience", "broadcast.edit_audience"))
    text = ctx.t(
        "broadcast.preview",
        message=message.text,
        button=message.choices[0].label,
        audience=describe(ctx.texts, ctx.language, audience, groups),
        total=thousands(count.reachable, ctx.language),
        channels=channels or "-",
        unreachable=thousands(count.unreachable, ctx.language),
        when=when,
    )
    if chats:
        titles = ", ".join(chat.title for chat in chats[:5])
        more = f" +{len(chats) - 5}" if len(chats) > 5 else ""
        text += "\n" + ctx.t("broadcast.preview_chats", titles=titles + more)
    return Reply(
        key="broadcast.preview",
        text=text,
        choices=tuple(choices),
        photo=str(ctx.settings.data_dir / str(photo)) if photo else None,
        language=ctx.language,
    )


PREVIEW_MOVES = {
    "bc:later": "when",
    "bc:roles": "roles",
    "bc:lang": "language",
    "bc:edit": "compose",
    "bc:audience": "scope",
}


async def take_preview(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "bc:drop":
        return Finish([ctx.reply("common.cancelled")])
    if answer.choice in PREVIEW_MOVES:
        return Goto(PREVIEW_MOVES[answer.choice])
    if answer.choice == "bc:send":
        return await _save(ctx)
    return Retry(ctx.reply("common.pick_option"))


async def _save(ctx: StepContext) -> Outcome:
    """Save the broadcast; the scheduler queues its recipients within seconds (or at its time)."""
    user = ctx.registered_user
    audience = _audience(ctx)
    groups, recipients = await resolve(ctx.uow, user.id, audience)
    count = await ctx.uow.broadcasts.count_audience(recipients)
    if not groups or not count.reachable:
        return Retry(ctx.reply("broadcast.nobody"))
    send_at = _send_at(ctx)
    if send_at is not None and send_at <= ctx.now:
        send_at = None
    photo = _draft(ctx).photo
    broadcast_id = await ctx.uow.broadcasts.create(
        author_id=user.id,
        audience=audience.model_dump(mode="json"),
        text=_draft(ctx).text,
        photo=str(photo) if photo else None,
        send_at=send_at or ctx.now,
        now=ctx.now,
    )
    await ctx.uow.audit.record(
        actor=f"user:{user.id}",
        action="broadcast",
        subject=f"broadcast:{broadcast_id}",
        now=ctx.now,
        audience=audience.model_dump(mode="json"),
        groups=len(groups),
        recipients=count.reachable,
        send_at=(send_at or ctx.now).isoformat(),
    )
    total = thousands(count.reachable, ctx.language)
    if send_at is None:
        return Finish([ctx.reply("broadcast.queued", id=broadcast_id, total=total)])
    when = timefmt.local_label(ctx.texts, ctx.language, send_at, ctx.timezone)
    return Finish([ctx.reply("broadcast.scheduled", id=broadcast_id, total=total, when=when)])


def _filter_step(field: str, token: str, values: tuple[str, ...]) -> Step:
    """A question that narrows the audience by one field (roles, language), then the preview."""

    async def ask(ctx: StepContext) -> Reply:
        choices = [ctx.choice(f"bc:{token}:{v}", f"broadcast.{field}_{v}") for v in values]
        return ctx.reply(f"broadcast.ask_{field}", choices=choices)

    async def take(ctx: StepContext, answer: Answer) -> Outcome:
        value = (answer.choice or "").removeprefix(f"bc:{token}:")
        if value not in values:
            return Retry(ctx.reply("common.pick_option"))
        _set_audience(ctx, _audience(ctx).model_copy(update={field: value}))
        return Goto("preview")

    return Step(ask, take)


async def ask_when(ctx: StepContext) -> Reply:
    return ctx.reply("broadcast.ask_when", choices=[ctx.choice("bc:now", "broadcast.send_now")])


async def take_when(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "bc:now":
        _draft(ctx).forget("send_at")
        return Goto("preview")
    parsed = parse_when(answer.text or "", ctx.now.astimezone(ZoneInfo(ctx.timezone)))
    if parsed.moment is None:
        problem = parsed.problem.value if parsed.problem else "invalid"
        return Retry(ctx.reply(f"activity.when_{problem}"))
    _draft(ctx).send_at = parsed.moment.astimezone(dt.UTC)
    return Goto("preview")


FLOW = Flow(
    name="broadcast",
    first="compose",
    steps={
        "compose": Step(ask_compose, take_compose),
        "photo": Step(ask_photo, take_photo),
        "scope": Step(ask_scope, take_scope),
        "scope_value": Step(ask_scope_value, take_scope_value),
        "preview": Step(ask_preview, take_preview),
        "roles": _filter_step("roles", "roles", ("all", "kader", "workers")),
        "language": _filter_step("language", "lang", ("all", "id", "en")),
        "when": Step(ask_when, take_when),
        **HISTORY_STEPS,
    },
    draft=BroadcastDraft,
)
