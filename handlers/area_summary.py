"""`/ringkasan`: an officer's groups at a glance: how many are aktif, kurang aktif and tidak aktif,
which slipped, the reports by type and by sector as a chart, and the recap workbook.

The month shown is the one a week ago fell in, so the first days of a month still show the whole
month just ended; `/ringkasan 2026-10` shows any earlier month. A month in progress is compared
with the same days of the month before, never with a whole month. The weekly summary officers get
on Monday morning is the same message (scheduler/summaries.py).
"""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from bot.base.models import Reply
from bot.core.conversation import Finish, Outcome, StepContext
from bot.domain.access import groups_in_scope
from bot.reports.area_summary import (
    LOOK_BACK,
    AreaMonth,
    area_month,
    read_in,
    scope_label,
    summary_reply,
    with_chart,
)
from bot.reports.indicators import local_month
from bot.reports.recap_workbook import recap_workbook
from bot.storage.attachments import keep_attachment
from handlers.recap_month import asked_month

COMMAND = "ringkasan"


async def show_summary(ctx: StepContext, args: str) -> Outcome:
    groups = await groups_in_scope(ctx.uow, ctx.grants)
    if not groups:
        return Finish([ctx.reply("recap.no_groups")])
    zone = ctx.timezone
    month = asked_month(ctx, COMMAND, args, local_month(ctx.now - LOOK_BACK, zone))
    if isinstance(month, Reply):
        return Finish([month])
    scope = scope_label(ctx.texts, ctx.language, groups, ctx.grants)
    await ctx.uow.audit.record(
        actor=f"user:{ctx.registered_user.id}",
        action="export-recap",
        subject=f"groups:{','.join(str(g.id) for g in groups)}",
        now=ctx.now,
        month=f"{month:%Y-%m}",
        groups=len(groups),
    )
    rules = ctx.settings.status_rules
    today = ctx.now.astimezone(ZoneInfo(zone)).date()

    async def summary_chart_and_workbook(_: Reply) -> Reply:
        """Read after the commit, in a read-only transaction: an area of hundreds of groups
        takes seconds to read, and nobody writing in waits for it."""
        async with ctx.reading() as uow:
            area = await area_month(read_in(uow), scope, groups, month, ctx.now)
        reply = summary_reply(ctx.texts, ctx.language, area, rules, key="recap.with_workbook")
        workbook = await asyncio.to_thread(recap_workbook, area.months, rules, today)
        name = f"rekap-pos-ukk-{month:%Y-%m}"
        path = await keep_attachment(ctx.settings.data_dir, name, ".xlsx", workbook)
        drawn = await _with_chart(ctx, reply, area)
        return drawn.model_copy(update={"document": path})

    preparing = ctx.reply("recap.preparing")
    return Finish([ctx.rendered_after_commit(preparing, summary_chart_and_workbook)])


async def _with_chart(ctx: StepContext, reply: Reply, area: AreaMonth) -> Reply:
    return await with_chart(
        reply,
        ctx.texts,
        ctx.language,
        ctx.knowledge,
        area,
        ctx.settings.status_rules,
        ctx.settings.data_dir,
    )
