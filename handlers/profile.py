"""`/ubahdata`: correct one's own name, phone, group or language (UU 27/2022)."""

from __future__ import annotations

from bot.base.models import Reply
from bot.core.conversation import (
    Answer,
    Finish,
    Flow,
    Goto,
    Outcome,
    Retry,
    StartFlow,
    Step,
    StepContext,
)
from bot.domain.phones import normalise_phone
from handlers.registration import NAME_MAX, NAME_MIN, parse_name

FIELDS = ("name", "phone", "group", "language")
BACK = "profile:back"


async def _ask_pick(ctx: StepContext) -> Reply:
    user = ctx.registered_user
    choices = [ctx.choice(f"profile:{field}", f"profile.field_{field}") for field in FIELDS]
    return ctx.reply(
        "profile.pick",
        choices=[*choices, ctx.choice(BACK, "common.back")],
        name=user.name,
        phone=user.phone or "-",
        group=ctx.group.name if ctx.group else "-",
        language_name=ctx.t(f"language.name_{user.language}"),
    )


async def _take_pick(ctx: StepContext, answer: Answer) -> Outcome:
    """Name and phone are asked here; group and language have their own conversations."""
    if answer.choice == BACK:
        return Finish()
    field = (answer.choice or "").removeprefix("profile:")
    if field in ("name", "phone"):
        return Goto(field)
    if field in ("group", "language"):
        return StartFlow(field)
    return Retry(ctx.reply("common.pick_option"))


async def _ask_name(ctx: StepContext) -> Reply:
    return ctx.reply("profile.ask_name", choices=[ctx.choice(BACK, "common.back")])


async def _take_name(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == BACK:
        return Goto("pick")
    name = parse_name(answer.text)
    if name is None:
        return Retry(ctx.reply("registration.name_invalid", min=NAME_MIN, max=NAME_MAX))
    await ctx.uow.users.set_name(ctx.registered_user.id, name)
    return Finish([ctx.reply("profile.saved_name", name=name)])


async def _ask_phone(ctx: StepContext) -> Reply:
    choices = [
        ctx.choice("profile:no_phone", "profile.remove_phone"),
        ctx.choice(BACK, "common.back"),
    ]
    return ctx.reply("profile.ask_phone", choices=choices, request="contact")


async def _take_phone(ctx: StepContext, answer: Answer) -> Outcome:
    """A shared contact or a typed number; or no number at all."""
    if answer.choice == BACK:
        return Goto("pick")
    if answer.choice == "profile:no_phone":
        await ctx.uow.users.set_phone(ctx.registered_user.id, None)
        return Finish([ctx.reply("profile.phone_removed")])
    phone = normalise_phone(answer.contact_phone or answer.text or "")
    if phone is None:
        return Retry(ctx.reply("profile.phone_invalid"))
    await ctx.uow.users.set_phone(ctx.registered_user.id, phone)
    return Finish([ctx.reply("profile.saved_phone", phone=phone)])


FLOW = Flow(
    name="profile",
    first="pick",
    steps={
        "pick": Step(_ask_pick, _take_pick),
        "name": Step(_ask_name, _take_name),
        "phone": Step(_ask_phone, _take_phone),
    },
)
