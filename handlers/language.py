"""Choosing Indonesian or English, at registration and any time later with /bahasa."""

from __future__ import annotations

from bot.base.models import Reply
from bot.base.texts import LANGUAGES
from bot.core.conversation import Answer, Finish, Flow, Outcome, Retry, Step, StepContext

TOKEN_PREFIX = "lang:"


def ask_language(ctx: StepContext, key: str = "language.ask") -> Reply:
    """The language question; its labels are the same in both catalogs."""
    choices = [ctx.choice(f"{TOKEN_PREFIX}{code}", f"language.name_{code}") for code in LANGUAGES]
    return ctx.reply(key, choices=choices)


def chosen_language(answer: Answer) -> str | None:
    if answer.choice and answer.choice.startswith(TOKEN_PREFIX):
        code = answer.choice.removeprefix(TOKEN_PREFIX)
        return code if code in LANGUAGES else None
    return None


async def _ask(ctx: StepContext) -> Reply:
    return ask_language(ctx)


async def _handle(ctx: StepContext, answer: Answer) -> Outcome:
    """Switch the language of everything the bot says to this person."""
    language = chosen_language(answer)
    if language is None:
        return Retry(ctx.reply("language.invalid"))
    ctx.language = language
    if ctx.user is not None:
        await ctx.uow.users.set_language(ctx.user.id, language)
    return Finish([ctx.reply("language.changed")])


FLOW = Flow(name="language", first="pick", steps={"pick": Step(_ask, _handle)})
