"""Consent to the data rules: asked at registration, and again whenever their text changes.

UU 27/2022 asks for explicit consent to process health data, and for a record of what was agreed
to. The catalog's `consent.version` names the wording; with the retention period the text
promises, it makes the version stored with each person. The words themselves are kept once per
version and language in `consent_texts`.
"""

from __future__ import annotations

from bot.base.models import Reply
from bot.core.consent import consent_version
from bot.core.conversation import (
    CONSENT_FLOW,
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

AGREE, DECLINE = "consent:yes", "consent:no"
READ_AGAIN, ERASE = "consent:read", "consent:erase"


def consent_text(ctx: StepContext) -> str:
    return ctx.t("registration.consent", years=ctx.settings.retention_years)


def consent_question(ctx: StepContext, changed: bool = False) -> Reply:
    """The consent text with Setuju / Tidak setuju; after a change, with a line saying so."""
    text = consent_text(ctx)
    choices = (ctx.choice(AGREE, "registration.agree"), ctx.choice(DECLINE, "registration.decline"))
    if changed:
        return Reply(
            key="consent.changed",
            text=f"{ctx.t('consent.changed')}\n\n{text}",
            choices=choices,
            language=ctx.language,
        )
    return Reply(key="registration.consent", text=text, choices=choices, language=ctx.language)


async def record_agreement(ctx: StepContext) -> str:
    """Keep the words just agreed to (once per version and language); the version agreed."""
    version = consent_version(ctx.texts, ctx.settings)
    await ctx.uow.consent.remember_text(version, ctx.language, consent_text(ctx), ctx.now)
    return version


async def _ask_again(ctx: StepContext) -> Reply:
    return consent_question(ctx, changed=True)


async def _take_again(ctx: StepContext, answer: Answer) -> Outcome:
    """Agree to the new text, or say no and hear what that means."""
    if answer.choice == AGREE:
        version = await record_agreement(ctx)
        user = ctx.registered_user
        await ctx.uow.users.agree(user.id, version, ctx.language, ctx.now)
        return Finish([ctx.reply("consent.thanks")])
    if answer.choice == DECLINE:
        return Goto("declined")
    return Retry(ctx.reply("registration.consent_invalid"))


async def _ask_declined(ctx: StepContext) -> Reply:
    choices = [ctx.choice(READ_AGAIN, "consent.read_again"), ctx.choice(ERASE, "consent.erase")]
    return ctx.reply("consent.refused", choices=choices)


async def _take_declined(ctx: StepContext, answer: Answer) -> Outcome:
    """Without consent the bot only offers to read the text again or to delete everything."""
    if answer.choice == READ_AGAIN:
        return Goto("agree")
    if answer.choice == ERASE:
        return StartFlow("erase")
    return Retry(ctx.reply("common.pick_option"))


FLOW = Flow(
    name=CONSENT_FLOW,
    first="agree",
    steps={"agree": Step(_ask_again, _take_again), "declined": Step(_ask_declined, _take_declined)},
)
