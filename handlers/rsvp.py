"""Answers to buttons in reminders (hadir / tidak bisa), whatever conversation the person is in."""

from __future__ import annotations

import datetime as dt
import re

from bot.base.models import Reply
from bot.core.conversation import StepContext
from content.normalise import words

_RSVP = re.compile(r"^rsvp:(\d+):(\d+):(yes|no)$")
COMING = frozenset(
    {"hadir", "datang", "saya hadir", "saya datang", "insya allah hadir", "i will come"}
)
NOT_COMING = frozenset(
    {
        "tidak bisa",
        "tidak bisa datang",
        "tidak datang",
        "tidak hadir",
        "absen",
        "izin",
        "i cannot come",
    }
)


def is_rsvp(token: str) -> bool:
    return _RSVP.match(token) is not None


async def take_rsvp(ctx: StepContext, token: str) -> Reply:
    """Record the answer; the activity must still exist and be the person's own group's."""
    found = _RSVP.match(token)
    assert found is not None
    activity = await ctx.uow.activities.get(int(found.group(1)))
    if activity is None or ctx.group is None or activity.group_id != ctx.group.id:
        return ctx.reply("rsvp.gone")
    start = dt.datetime.fromtimestamp(int(found.group(2)), dt.UTC)
    answer = found.group(3)
    await ctx.uow.rsvps.answer(activity.id, start, ctx.registered_user.id, answer, ctx.now)
    return ctx.reply(f"rsvp.thanks_{answer}", title=activity.title)


async def typed_rsvp(ctx: StepContext, text: str) -> Reply | None:
    """ "hadir" or "tidak bisa" typed instead of pressed: answers the latest reminder, if any."""
    said = " ".join(words(text))
    answer = "yes" if said in COMING else "no" if said in NOT_COMING else None
    if answer is None or ctx.user is None:
        return None
    offered = await ctx.uow.offers.latest(ctx.user.id, "rsvp:", ctx.now)
    if offered is None:
        return None
    return await take_rsvp(ctx, offered.rsplit(":", 1)[0] + f":{answer}")
