"""`/hapusdata`: withdraw consent and have one's identity erased (UU 27/2022).

What goes and what stays is in `bot.storage.privacy`; reports stay only as anonymous counts.
"""

from __future__ import annotations

import asyncio

from bot.base.models import Reply
from bot.core.conversation import (
    ERASE_FLOW,
    Answer,
    Finish,
    Flow,
    Outcome,
    Retry,
    Step,
    StepContext,
)
from bot.storage.database import Database
from bot.storage.photos import delete_unused
from handlers.my_data import delete_exports_of

YES, NO = "erase:yes", "erase:no"


async def _ask(ctx: StepContext) -> Reply:
    roles = ctx.t("erase.roles_end") if ctx.grants else ""
    choices = [ctx.choice(YES, "erase.yes"), ctx.choice(NO, "erase.no")]
    return ctx.reply("erase.confirm", choices=choices, roles=roles)


async def _take(ctx: StepContext, answer: Answer) -> Outcome:
    """Erase only on an explicit yes; anything else changes nothing."""
    if answer.choice == NO:
        return Finish([ctx.reply("erase.kept")])
    if answer.choice != YES:
        return Retry(ctx.reply("common.pick_option"))
    user = ctx.registered_user
    await ctx.uow.privacy.erase(user, ctx.now)
    photos = await ctx.uow.incidents.anonymise_reported_by(user.id, ctx.now)
    await ctx.uow.audit.record(
        actor=f"user:{user.id}", action="erase-self", subject=f"user:{user.id}", now=ctx.now
    )
    in_use = await ctx.uow.privacy.photos_in_use()
    data_dir = ctx.settings.data_dir

    async def wipe(database: Database) -> None:
        await delete_unused(data_dir, in_use, photos)
        await asyncio.to_thread(delete_exports_of, data_dir, user.id)
        await database.checkpoint()

    ctx.after_commit.append(wipe)
    ctx.user, ctx.grants, ctx.group = None, [], None
    return Finish([ctx.reply("erase.done")])


FLOW = Flow(name=ERASE_FLOW, first="confirm", steps={"confirm": Step(_ask, _take)})
