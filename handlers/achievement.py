"""`/capaian`: a kader's group's month in a few short lines, a chart and one suggestion.

The same message, for the month just ended, is the recap each kader gets on the 1st
(scheduler/summaries.py). `/capaian 2026-10` shows an earlier month.
"""

from __future__ import annotations

from bot.base.models import Reply
from bot.core.conversation import Finish, Outcome, StepContext
from bot.reports.achievement import achievement_reply, with_chart
from bot.reports.indicators import local_month, month_indicators
from bot.storage.records import Group, Role
from handlers.recap_month import asked_month

COMMAND = "capaian"


async def show_achievement(ctx: StepContext, args: str) -> Outcome:
    group = await _kader_group(ctx)
    if group is None:
        return Finish([ctx.reply("recap.for_kader")])
    month = asked_month(ctx, COMMAND, args, local_month(ctx.now, group.timezone))
    if isinstance(month, Reply):
        return Finish([month])
    indicators = await month_indicators(ctx.uow, group, month, until=ctx.now)
    reply = achievement_reply(ctx.texts, ctx.language, indicators, ctx.settings.status_rules)

    async def chart(reply: Reply) -> Reply:
        return await with_chart(reply, ctx.texts, ctx.language, indicators, ctx.settings.data_dir)

    return Finish([ctx.rendered_after_commit(reply, chart)])


async def _kader_group(ctx: StepContext) -> Group | None:
    """The group this person is kader of (a kader of several: the first granted)."""
    kader = [g.group_id for g in ctx.grants if g.role is Role.KADER and g.group_id is not None]
    return await ctx.uow.groups.get(kader[0]) if kader else None
