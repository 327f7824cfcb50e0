"""First aid from free text or the browse menu: the right topic, one step at a time.

A topic answer starts with its urgency (GAWAT / SEGERA / RAWAT & PANTAU); an emergency gets the
emergency card first. The person can then go step by step, see danger signs, what not to do,
other topics that might fit, the whole card with sources, or ask the bot to tell their kader.
"""

from __future__ import annotations

from pydantic import Field

from bot.base import keys
from bot.base.models import Choice, Reply
from bot.core.choices import NO_WORDS, YES_WORDS
from bot.core.conversation import (
    FIRST_AID_FLOW,
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
from content.concepts import Role
from content.knowledge import pick
from content.matcher import Triage
from content.normalise import words
from content.schema import RedFlagQuestion, Topic, Urgency, YesNo
from handlers.cards import save_card
from handlers.emergency import emergency_card, reader_steps
from handlers.report_draft import ReportDraft
from handlers.report_words import take_words

TOPIC_TOKEN = "topic:"
MAX_QUOTED_TEXT = 300
PREVENTION_QUESTION = "asking-prevention"
GREETING = "greeting"
"""A concept of the vocabulary: the person asks how to prevent, not what to do."""


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def topic_choice(ctx: StepContext, topic: Topic) -> Choice:
    return Choice(token=f"{TOPIC_TOKEN}{topic.id}", label=pick(topic.short_title, ctx.language))


def answer_triage(ctx: StepContext, triage: Triage, text: str) -> Outcome | None:
    """The first-aid answer to what triage found, or None when the message is about nothing.

    A general question gets the steps or the prevention, with no alarm; a message that leaves a
    topic's red flags open gets its one question first; otherwise the urgency computed from the
    red flags heads the card, with the emergency card first when it is GAWAT.
    """
    if not triage.topics:
        if triage.emergency:
            return Finish([emergency_card(ctx, None, reasons(ctx, triage))])
        return None
    topic = ctx.knowledge.topics[triage.topics[0]]
    draft = FirstAidDraft(
        topic=topic.id,
        urgency=triage.urgency or topic.urgency,
        signs=reasons(ctx, triage),
        alternatives=triage.topics[1:],
        # Someone not registered has agreed to nothing: their words are not kept.
        text=text[:MAX_QUOTED_TEXT] if ctx.user is not None else "",
    )
    if triage.general:
        prevention = PREVENTION_QUESTION in triage.concepts
        return StartFlow("first_aid", draft, [general_card(ctx, topic, prevention=prevention)])
    if triage.question is not None:
        draft.question = triage.question
        return StartFlow("first_aid", draft, step="red_flag")
    urgency = triage.urgency or topic.urgency
    return StartFlow("first_aid", draft, opening_cards(ctx, topic, urgency, reasons(ctx, triage)))


class FirstAidDraft(Draft):
    topic: str = ""
    step: int = 0
    """The step shown last (one at a time)."""
    urgency: Urgency | None = None
    signs: list[str] = Field(default_factory=list)
    """The red flags the person stated."""
    alternatives: list[str] = Field(default_factory=list)
    text: str = ""
    """The person's own words (never a stranger's: they agreed to nothing)."""
    question: RedFlagQuestion | None = None
    """The red-flag question asked, kept whole: the content may change meanwhile."""


def reasons(ctx: StepContext, triage: Triage) -> list[str]:
    """The red flags that made the message GAWAT: danger signs, then the concepts of the rules."""
    found = list(triage.danger_signs)
    found += [c for _, rule in triage.rules for c in rule if not c.startswith("!")]
    concepts = ctx.knowledge.matcher.finder.concepts
    return [c for n, c in enumerate(found) if c not in found[:n] and concepts[c].role is Role.SIGN]


def open_topic(
    ctx: StepContext, topic_id: str, *, alternatives: list[str], signs: list[str], text: str
) -> StartFlow:
    """A topic chosen from a list: its card at its own urgency, or GAWAT if signs were stated."""
    topic = ctx.knowledge.topics[topic_id]
    urgency = Urgency.GAWAT if signs or topic.always_emergency else topic.urgency
    draft = FirstAidDraft(
        topic=topic_id,
        urgency=urgency,
        signs=signs,
        alternatives=[t for t in alternatives if t != topic_id],
        text=text,
    )
    return StartFlow("first_aid", draft, opening_cards(ctx, topic, urgency, signs))


def opening_cards(
    ctx: StepContext, topic: Topic, urgency: Urgency, signs: list[str]
) -> list[Reply]:
    """The emergency card when GAWAT, then the topic card headed by the same urgency."""
    cards = [emergency_card(ctx, topic, signs)] if urgency is Urgency.GAWAT else []
    return [*cards, topic_card(ctx, topic, urgency)]


def topic_card(ctx: StepContext, topic: Topic, urgency: Urgency) -> Reply:
    return ctx.reply(
        "first_aid.card",
        urgency=ctx.t(f"urgency.{urgency.value}"),
        title=pick(topic.title, ctx.language),
        summary=pick(topic.summary, ctx.language),
        step=step_text(ctx, topic, 0),
    )


def general_card(ctx: StepContext, topic: Topic, *, prevention: bool) -> Reply:
    """A question for training or prevention: what to do (or to prevent), and when it is serious."""
    lang = ctx.language
    if prevention:
        body = ctx.t(
            "first_aid.prevention", lines=bullet_list([pick(p, lang) for p in topic.prevention])
        )
    else:
        steps = reader_steps(ctx, topic)
        body = "\n".join(f"{n}. {pick(s, lang)}" for n, s in enumerate(steps, start=1))
    return ctx.reply(
        "first_aid.general",
        title=pick(topic.title, lang),
        urgency=ctx.t(f"urgency.{topic.urgency.value}"),
        body=body,
        refer=pick(topic.refer, lang),
    )


def step_text(ctx: StepContext, topic: Topic, index: int) -> str:
    steps = reader_steps(ctx, topic)
    index = min(index, len(steps) - 1)
    return ctx.t(
        "first_aid.step",
        number=index + 1,
        total=len(steps),
        text=pick(steps[index], ctx.language),
    )


async def triage_text(ctx: StepContext, text: str) -> Outcome | None:
    """The first-aid answer for free text, or None when nothing fits."""
    return answer_triage(ctx, ctx.knowledge.matcher.triage(text), text)


async def newcomer_first_aid(ctx: StepContext, text: str) -> Outcome | None:
    """A first message from someone not registered: first aid when it is plainly an injury."""
    triage = ctx.knowledge.matcher.triage(text)
    return answer_triage(ctx, triage, text) if triage.grounded or triage.emergency else None


def short_answer(ctx: StepContext, text: str) -> list[Reply]:
    """The answer without buttons, for someone in the middle of registering: the emergency card
    when GAWAT, else the topic card; the registration question follows."""
    triage = ctx.knowledge.matcher.triage(text)
    if not triage.topics or not triage.grounded:
        return [emergency_card(ctx, None, reasons(ctx, triage))] if triage.emergency else []
    topic = ctx.knowledge.topics[triage.topics[0]]
    if triage.general:
        return [general_card(ctx, topic, prevention=PREVENTION_QUESTION in triage.concepts)]
    urgency = triage.urgency or topic.urgency
    cards = [emergency_card(ctx, topic, reasons(ctx, triage))] if triage.emergency else []
    question = triage.question
    if question is not None:
        cards.append(ctx.reply("first_aid.check", question=pick(question.text, ctx.language)))
    return [*cards, topic_card(ctx, topic, urgency)]


def not_understood(ctx: StepContext) -> Outcome:
    """Nothing matched: say so kindly, and offer the list and the kader."""
    return StartFlow("browse", {}, [ctx.reply("first_aid.not_found")])


def _current(ctx: StepContext) -> Topic:
    return ctx.knowledge.topics[ctx.draft_as(FirstAidDraft).topic]


def _question(ctx: StepContext) -> RedFlagQuestion:
    """The question as it was when asked (kept whole in the draft: content may change)."""
    question = ctx.draft_as(FirstAidDraft).question
    assert question is not None, "asked only with a question in the draft"
    return question


async def ask_red_flag(ctx: StepContext) -> Reply:
    """The one question that decides the urgency, before the first step."""
    choices = [
        ctx.choice("fa:flag:yes", "common.answer_yes"),
        ctx.choice("fa:flag:no", "common.answer_no"),
    ]
    return ctx.reply(
        "first_aid.red_flag", question=pick(_question(ctx).text, ctx.language), choices=choices
    )


async def take_red_flag(ctx: StepContext, answer: Answer) -> Outcome:
    """Yes or no, tapped or typed; or a description that answers it ("dia muntah 2x")."""
    question = _question(ctx)
    said = _yes_or_no(ctx, question, answer)
    if said is None:
        return Retry(ctx.reply("first_aid.red_flag_again"))
    topic = _current(ctx)
    urgency = Urgency.GAWAT if said is question.gawat_if else topic.urgency
    draft = ctx.draft_as(FirstAidDraft)
    draft.urgency = urgency
    draft.forget("question")
    return Goto("what_next", opening_cards(ctx, topic, urgency, []))


def _yes_or_no(ctx: StepContext, question: RedFlagQuestion, answer: Answer) -> YesNo | None:
    if answer.choice in ("fa:flag:yes", "fa:flag:no"):
        return YesNo.YES if answer.choice == "fa:flag:yes" else YesNo.NO
    if not answer.text:
        return None
    typed = " ".join(words(answer.text))  # "kada", "ora", "iye" and "nggih" mean no and yes
    if typed in YES_WORDS:
        return YesNo.YES
    if typed in NO_WORDS:
        return YesNo.NO
    findings = ctx.knowledge.matcher.finder.find(answer.text)
    if any(findings.has(flag) for flag in question.flags):
        return YesNo.YES
    if any(flag in findings.ruled_out for flag in question.flags):
        return YesNo.NO
    return None


async def ask_what_next(ctx: StepContext) -> Reply:
    topic = _current(ctx)
    choices = []
    if ctx.draft_as(FirstAidDraft).step + 1 < len(reader_steps(ctx, topic)):
        choices.append(ctx.choice("fa:next", "first_aid.next"))
    choices += [
        ctx.choice("fa:danger", "first_aid.show_danger"),
        ctx.choice("fa:jangan", "first_aid.show_jangan"),
        ctx.choice("fa:other", "first_aid.other"),
        ctx.choice("fa:full", "first_aid.full_label"),
        ctx.choice("fa:card", "first_aid.save_card"),
    ]
    if ctx.user is None:
        choices.append(ctx.choice("fa:register", "first_aid.register"))
        return ctx.reply("first_aid.what_next_stranger", choices=choices)
    choices += [
        ctx.choice("fa:kader", "first_aid.tell_kader"),
        ctx.choice("fa:report", "first_aid.report"),
        ctx.choice("fa:menu", "common.main_menu"),
    ]
    return ctx.reply("first_aid.what_next", choices=choices)


async def take_what_next(ctx: StepContext, answer: Answer) -> Outcome:
    """Next step, danger signs, what not to do, other topics, the full card, or tell the kader."""
    topic = _current(ctx)
    lang = ctx.language
    last = len(reader_steps(ctx, topic)) - 1
    registered = ctx.user is not None
    match answer.choice:
        case "fa:next":
            draft = ctx.draft_as(FirstAidDraft)
            draft.step = min(draft.step + 1, last)
            replies = [ctx.reply("first_aid.step_only", text=step_text(ctx, topic, draft.step))]
            if draft.step == last:
                replies.append(ctx.reply("first_aid.last_step", refer=pick(topic.refer, lang)))
            return Goto("what_next", replies)
        case "fa:danger":
            signs = bullet_list([pick(s, lang) for s in topic.danger_signs])
            return Goto(
                "what_next",
                [ctx.reply("first_aid.danger", lines=signs, refer=pick(topic.refer, lang))],
            )
        case "fa:jangan":
            return Goto(
                "what_next",
                [
                    ctx.reply(
                        "first_aid.jangan",
                        lines=bullet_list([pick(j, lang) for j in topic.jangan]),
                    )
                ],
            )
        case "fa:full":
            return Goto("what_next", [full_card(ctx, topic)])
        case "fa:card":
            return Goto("what_next", save_card(ctx, topic))
        case "fa:other":
            return Goto("other")
        case "fa:register" if not registered:
            return StartFlow("registration", {})
        case "fa:kader" if registered:
            return Finish([await tell_kader(ctx, topic)])
        case "fa:report" if registered:
            # The injury is known already: the report starts with who was hurt.
            seen = ctx.draft_as(FirstAidDraft)
            report = ReportDraft(topic=topic.id, what_text=seen.text, known=["what"])
            take_words(ctx, report, seen.text or "")
            if seen.urgency is Urgency.GAWAT:
                report.alerted, report.severe = False, True
            return StartFlow("report", report)
        case "fa:menu" if registered:
            return Finish()
    if answer.text:
        triage = ctx.knowledge.matcher.triage(answer.text)
        outcome = answer_triage(ctx, triage, answer.text)
        if outcome is not None:
            return outcome
        if GREETING in triage.concepts:  # "halo": the menu, or registration for a newcomer
            return Finish() if registered else StartFlow("registration", {})
    return Retry(ctx.reply("first_aid.pick_or_describe"))


def full_card(ctx: StepContext, topic: Topic) -> Reply:
    lang = ctx.language
    steps = reader_steps(ctx, topic)
    numbered = "\n".join(f"{n}. {pick(s, lang)}" for n, s in enumerate(steps, start=1))
    notes = bullet_list([pick(n, lang) for n in topic.guidance_notes])
    return ctx.reply(
        "first_aid.full",
        title=pick(topic.title, lang),
        steps=numbered,
        jangan=bullet_list([pick(j, lang) for j in topic.jangan]),
        danger=bullet_list([pick(d, lang) for d in topic.danger_signs]),
        refer=pick(topic.refer, lang),
        prevention=bullet_list([pick(p, lang) for p in topic.prevention]),
        notes=notes or "-",
        sources="\n".join(f"{s.title} ({s.url})" for s in topic.sources),
        reviewed=topic.reviewed.isoformat(),
    )


async def tell_kader(ctx: StepContext, topic: Topic | None) -> Reply:
    """Alert the kader of the person's group that they need help, through the outbox."""
    user, group = ctx.registered_user, ctx.group
    if group is None:
        return ctx.reply("first_aid.no_group")
    kader_ids = [k for k in await ctx.uow.roles.kader_ids(group.id) if k != user.id]
    if not kader_ids:
        return ctx.reply(
            "first_aid.no_kader", puskesmas=group.puskesmas_name, phone=group.puskesmas_phone or "-"
        )
    seen = ctx.draft if isinstance(ctx.draft, FirstAidDraft) else FirstAidDraft()  # or browsing
    emergency = seen.urgency is Urgency.GAWAT
    for kader in await ctx.uow.users.many(kader_ids):
        await ctx.notify(
            kader,
            kind="help_request",
            key="first_aid.kader_alert",
            dedupe_key=keys.call_for_help(user.id, ctx.now),
            urgent=emergency,
            name=user.name,
            phone=user.phone or "-",
            topic=pick(topic.title, kader.language) if topic else "-",
            text=seen.text or "-",
        )
    return ctx.reply("first_aid.kader_told")


async def ask_other(ctx: StepContext) -> Reply:
    topics = [ctx.knowledge.topics[t] for t in ctx.draft_as(FirstAidDraft).alternatives]
    choices = [topic_choice(ctx, t) for t in topics]
    choices += [ctx.choice("fa:browse", "first_aid.browse"), ctx.choice("fa:back", "common.back")]
    key = "first_aid.alternatives" if topics else "first_aid.no_alternatives"
    return ctx.reply(key, choices=choices)


async def take_other(ctx: StepContext, answer: Answer) -> Outcome:
    """Another topic that might fit better, or the full list."""
    if answer.choice and answer.choice.startswith(TOPIC_TOKEN):
        chosen = answer.choice.removeprefix(TOPIC_TOKEN)
        if chosen in ctx.knowledge.topics:
            draft = ctx.draft_as(FirstAidDraft)
            return open_topic(
                ctx,
                chosen,
                signs=draft.signs,
                alternatives=[draft.topic, *draft.alternatives],
                text=draft.text,
            )
    if answer.choice == "fa:browse":
        return StartFlow("browse")
    if answer.choice == "fa:back":
        return Goto("what_next")
    if answer.text:
        outcome = await triage_text(ctx, answer.text)
        if outcome is not None:
            return outcome
    return Retry(ctx.reply("common.pick_option"))


FLOW = Flow(
    name=FIRST_AID_FLOW,
    first="what_next",
    steps={
        "red_flag": Step(ask_red_flag, take_red_flag),
        "what_next": Step(ask_what_next, take_what_next),
        "other": Step(ask_other, take_other),
    },
    draft=FirstAidDraft,
)
