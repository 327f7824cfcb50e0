"""`/web`: a one-time link to the web dashboard, for kader, officers and admins."""

from __future__ import annotations

from bot.core.conversation import Finish, Outcome, StepContext
from bot.domain.web_login import LINK_TTL, issue_link


async def send_web_link(ctx: StepContext, args: str) -> Outcome:
    url = await issue_link(ctx.uow, ctx.registered_user.id, ctx.now, ctx.settings.web_address)
    minutes = int(LINK_TTL.total_seconds() // 60)
    return Finish([ctx.reply("web.link", url=url, minutes=minutes)])
