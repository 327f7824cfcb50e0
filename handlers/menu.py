"""The main menu: the resting place of every conversation, with entries for the person's role."""

from __future__ import annotations

from bot.base.models import Reply
from bot.core.conversation import MENU_FLOW, Answer, Finish, Flow, Outcome, Retry, Step, StepContext
from handlers.away import absence_days, going_to_sea, start_away
from handlers.commands import menu_entries, run_command
from handlers.first_aid import GREETING, answer_triage, not_understood
from handlers.rsvp import typed_rsvp

TOKEN_PREFIX = "cmd:"


async def ask_menu(ctx: StepContext) -> Reply:
    choices = [ctx.choice(f"{TOKEN_PREFIX}{name}", label) for name, label in menu_entries(ctx)]
    return ctx.reply("menu.title", choices=choices)


async def take_menu(ctx: StepContext, answer: Answer) -> Outcome:
    """A tapped or typed menu entry; any other text is a first-aid question."""
    if answer.choice and answer.choice.startswith(TOKEN_PREFIX):
        return await run_command(ctx, answer.choice.removeprefix(TOKEN_PREFIX))
    if answer.text:
        rsvp = await typed_rsvp(ctx, answer.text)
        if rsvp is not None:
            return Finish([rsvp])
        days = absence_days(answer.text)
        if days is not None:
            return start_away(days, at_sea=going_to_sea(answer.text))
        triage = ctx.knowledge.matcher.triage(answer.text)
        if not triage.topics and not triage.emergency and GREETING in triage.concepts:
            return Retry(ctx.reply("menu.greeting"))
        return answer_triage(ctx, triage, answer.text) or not_understood(ctx)
    return Retry(ctx.reply("menu.not_understood"))


FLOW = Flow(name=MENU_FLOW, first="pick", steps={"pick": Step(ask_menu, take_menu)})
