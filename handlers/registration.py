"""First contact: language, consent (nothing is stored without it), name, phone, join code."""

from __future__ import annotations

import re

from bot.base.models import Reply
from bot.core.conversation import (
    REGISTRATION_FLOW,
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
from bot.domain.joinlinks import SIGN_UP_WORDS, typed_join_code
from bot.domain.phones import normalise_phone
from handlers.consent import AGREE, DECLINE, consent_question, record_agreement
from handlers.language import ask_language, chosen_language
from handlers.membership import join_group

NAME_MIN, NAME_MAX = 2, 60
_NAME_ALLOWED = re.compile(r"^[^\W\d_][\w .,'\-]*$")


def parse_name(text: str | None) -> str | None:
    """A person's name: letters first, no digits-only or commands, at most 60 characters."""
    if text is None:
        return None
    name = " ".join(text.split())
    if not NAME_MIN <= len(name) <= NAME_MAX or not _NAME_ALLOWED.match(name):
        return None
    return name


class RegistrationDraft(Draft):
    """Nothing is stored about the person until the last answer."""

    join_code: str | None = None
    """From a group's join link (`/start CODE`, or "DAFTAR CODE" from a `wa.me` link)."""
    consent_version: str | None = None
    name: str = ""
    phone: str | None = None


async def newcomer_code(ctx: StepContext, text: str) -> Outcome | None:
    """A first message carrying a group's code, as a WhatsApp join link writes it ("DAFTAR
    BTG7K2"), or the code of a group alone: registration with the code filled in, as `/start
    CODE` does on Telegram. A code after "daftar" counts even if unknown (registration then
    asks for it again); alone, only a group's real code does, so "berapa" is no code."""
    typed = typed_join_code(text)
    if typed is None:
        return None
    word, code = typed
    if word not in SIGN_UP_WORDS and await ctx.uow.groups.by_code(code) is None:
        return None
    return StartFlow(REGISTRATION_FLOW, RegistrationDraft(join_code=code))


async def ask_language_step(ctx: StepContext) -> Reply:
    return ask_language(ctx, "registration.welcome")


async def take_language(ctx: StepContext, answer: Answer) -> Outcome:
    """Which language the bot speaks from now on."""
    language = chosen_language(answer)
    if language is None:
        return Retry(ctx.reply("language.invalid"))
    ctx.language = language
    return Goto("consent")


async def ask_consent(ctx: StepContext) -> Reply:
    return consent_question(ctx)


async def take_consent(ctx: StepContext, answer: Answer) -> Outcome:
    """Agree, or decline and leave nothing behind."""
    if answer.choice == AGREE:
        ctx.draft_as(RegistrationDraft).consent_version = await record_agreement(ctx)
        return Goto("name")
    if answer.choice == DECLINE:
        ctx.draft = RegistrationDraft()
        return Finish([ctx.reply("registration.declined")])
    return Retry(ctx.reply("registration.consent_invalid"))


async def ask_name(ctx: StepContext) -> Reply:
    return ctx.reply("registration.ask_name")


async def take_name(ctx: StepContext, answer: Answer) -> Outcome:
    """The name the kader will know the person by."""
    name = parse_name(answer.text)
    if name is None:
        return Retry(ctx.reply("registration.name_invalid", min=NAME_MIN, max=NAME_MAX))
    ctx.draft_as(RegistrationDraft).name = name
    return Goto("phone")


async def ask_phone(ctx: StepContext) -> Reply:
    skip = ctx.choice("phone:skip", "registration.skip_phone")
    return ctx.reply("registration.ask_phone", choices=[skip], request="contact")


async def take_phone(ctx: StepContext, answer: Answer) -> Outcome:
    """A number the kader can call in an emergency: shared, typed, or skipped."""
    if answer.choice != "phone:skip":
        phone = normalise_phone(answer.contact_phone or answer.text or "")
        if phone is None:
            return Retry(ctx.reply("registration.phone_invalid"))
        ctx.draft_as(RegistrationDraft).phone = phone
    code = ctx.draft_as(RegistrationDraft).join_code
    if code:
        group = await ctx.uow.groups.by_code(code)
        if group is not None:
            return await _complete(ctx, group.id)
        return Goto("join_code", [ctx.reply("registration.link_code_unknown")])
    return Goto("join_code")


async def ask_join_code(ctx: StepContext) -> Reply:
    return ctx.reply(
        "registration.ask_code", choices=[ctx.choice("code:none", "registration.no_code")]
    )


async def take_join_code(ctx: StepContext, answer: Answer) -> Outcome:
    """The code printed on the Pos UKK's poster, or none yet."""
    if answer.choice == "code:none":
        return await _complete(ctx, None)
    if not answer.text:
        return Retry(ctx.reply("registration.code_invalid"))
    group = await ctx.uow.groups.by_code(answer.text)
    if group is None:
        return Retry(ctx.reply("registration.code_unknown", code=answer.text.strip()[:20]))
    return await _complete(ctx, group.id)


async def _complete(ctx: StepContext, group_id: int | None) -> Outcome:
    channel, platform_id = ctx.channel_user
    draft = ctx.draft_as(RegistrationDraft)
    assert draft.consent_version is not None, "the consent step comes first"
    ctx.user = await ctx.uow.users.create(
        channel=channel,
        platform_id=platform_id,
        name=draft.name,
        language=ctx.language,
        consent_version=draft.consent_version,
        now=ctx.now,
        phone=draft.phone,
    )
    group = await ctx.uow.groups.get(group_id) if group_id is not None else None
    if group is None:
        return Finish([ctx.reply("registration.done_no_group", name=ctx.user.name)])
    key = "registration.done" if await join_group(ctx, group) else "registration.done_no_kader"
    return Finish([ctx.reply(key, name=ctx.user.name, group=group.name)])


FLOW = Flow(
    name=REGISTRATION_FLOW,
    first="language",
    steps={
        "language": Step(ask_language_step, take_language),
        "consent": Step(ask_consent, take_consent),
        "name": Step(ask_name, take_name),
        "phone": Step(ask_phone, take_phone),
        "join_code": Step(ask_join_code, take_join_code),
    },
    draft=RegistrationDraft,
)
