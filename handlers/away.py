"""A worker going to sea for days says so; ordinary messages wait until they are back.

"melaut 3 hari", "pergi 2 minggu" or /pergi start it; /kembali ends it early. Urgent messages
(SOS, emergency alerts) are never held. Someone going to sea (a fisher, or "melaut") is then
offered the sea pack of first-aid cards, at most once a month, unless they saved it.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from bot.base.models import Reply
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
from content.normalise import fold
from content.schema import Sector
from handlers.cards import SEA_PACK_SECTOR, sea_pack_due, send_pack
from handlers.emergency import reader_sector

MAX_DAYS = 60
DAY_CHOICES = (1, 2, 3, 5, 7, 14)
_TO_SEA = re.compile(r"\b(melaut|berlayar|ke laut)\b")
_ABSENCE = re.compile(
    r"\b(melaut|berlayar|ke laut|pergi|merantau|mudik|ke hutan)\b"
    r"\D{0,20}?(\d{1,2})\s*(hari|hr|minggu|mgg)\b"
)


def absence_days(text: str) -> int | None:
    """Days away if the text says something like "melaut 3 hari" or "pergi 2 minggu"."""
    found = _ABSENCE.search(fold(text))
    if found is None:
        return None
    days = int(found.group(2)) * (7 if found.group(3).startswith("m") else 1)
    return days if 1 <= days <= MAX_DAYS else None


def going_to_sea(text: str) -> bool:
    return _TO_SEA.search(fold(text)) is not None


class AwayDraft(Draft):
    days: int = 0
    at_sea: bool = False
    """They said they are going to sea ("melaut"): the sea pack may be offered."""


def start_away(days: int | None, *, at_sea: bool = False) -> StartFlow:
    if days is None:
        return StartFlow("away", AwayDraft(at_sea=at_sea))
    return StartFlow("away", AwayDraft(days=days, at_sea=at_sea), step="confirm")


async def ask_days(ctx: StepContext) -> Reply:
    choices = [ctx.choice(f"away:{n}", f"away.days_{n}") for n in DAY_CHOICES]
    return ctx.reply("away.ask_days", choices=choices)


async def take_days(ctx: StepContext, answer: Answer) -> Outcome:
    """How many days: a button, or a number typed."""
    text = answer.choice.removeprefix("away:") if answer.choice else (answer.text or "")
    days = int(text) if text.strip().isdigit() else absence_days(f"pergi {text}")
    if days is None or not 1 <= days <= MAX_DAYS:
        return Retry(ctx.reply("away.days_invalid", max=MAX_DAYS))
    ctx.draft_as(AwayDraft).days = days
    return Goto("confirm")


def _until(ctx: StepContext) -> dt.datetime:
    return ctx.now + dt.timedelta(days=ctx.draft_as(AwayDraft).days)


def _local_date(ctx: StepContext, moment: dt.datetime) -> str:
    zone = ZoneInfo(ctx.timezone)
    local = moment.astimezone(zone)
    weekday = ctx.t(f"weekday.{local.weekday()}")
    return f"{weekday} {local:%d-%m-%Y %H:%M}"


async def ask_confirm(ctx: StepContext) -> Reply:
    choices = [
        ctx.choice("away:yes", "common.answer_yes"),
        ctx.choice("away:no", "common.answer_no"),
    ]
    return ctx.reply("away.confirm", choices=choices, until=_local_date(ctx, _until(ctx)))


async def take_confirm(ctx: StepContext, answer: Answer) -> Outcome:
    """Hold ordinary messages until the date repeated back, after a yes."""
    if answer.choice == "away:no":
        return Finish([ctx.reply("common.cancelled")])
    if answer.choice != "away:yes":
        return Retry(ctx.reply("common.pick_yes_no"))
    until = _until(ctx)
    await ctx.uow.users.set_away(ctx.registered_user.id, until)
    done = ctx.reply("away.set", until=_local_date(ctx, until))
    at_sea = ctx.draft_as(AwayDraft).at_sea or reader_sector(ctx) is Sector.FISHING
    pack = await sea_pack_due(ctx) if at_sea else None
    if pack is None:
        return Finish([done])
    await ctx.uow.card_packs.offered(ctx.registered_user.id, pack.id, ctx.now)
    return Goto("sea_pack", [done])


async def ask_sea_pack(ctx: StepContext) -> Reply:
    choices = [
        ctx.choice("away:pack:yes", "common.answer_yes"),
        ctx.choice("away:pack:no", "common.answer_no"),
    ]
    return ctx.reply("cards.offer_sea", choices=choices)


async def take_sea_pack(ctx: StepContext, answer: Answer) -> Outcome:
    """The sea pack's cards after a yes; where to find them later after a no."""
    pack = ctx.knowledge.pack_for(SEA_PACK_SECTOR)
    if answer.choice == "away:pack:no" or pack is None:
        return Finish([ctx.reply("cards.offer_later")])
    if answer.choice != "away:pack:yes":
        return Retry(ctx.reply("common.pick_yes_no"))
    return Finish(await send_pack(ctx, pack))


async def come_back(ctx: StepContext, args: str) -> Outcome:
    """/kembali: back early; held messages go out now (outside quiet hours)."""
    user = ctx.registered_user
    if await ctx.uow.users.away_until(user.id) is None:
        return Finish([ctx.reply("away.not_away")])
    await ctx.uow.users.set_away(user.id, None)
    return Finish([ctx.reply("away.cleared")])


async def go_away(ctx: StepContext, args: str) -> Outcome:
    """/pergi [days]."""
    days = int(args) if args.strip().isdigit() and 1 <= int(args) <= MAX_DAYS else None
    return start_away(days)


FLOW = Flow(
    name="away",
    first="days",
    steps={
        "days": Step(ask_days, take_days),
        "confirm": Step(ask_confirm, take_confirm),
        "sea_pack": Step(ask_sea_pack, take_sea_pack),
    },
    draft=AwayDraft,
)
