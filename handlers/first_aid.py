"""First aid from free text or the browse menu: the right topic, one step at a time.

A topic answer starts with its urgency (GAWAT / SEGERA / RAWAT & PANTAU); an emergency gets the
emergency card first. The person can then go step by step, see danger signs, what not to do,
other topics that might fit, the whole card with sources, or ask the bot to tell their kader.
"""

from __future__ import annotations

from bot.clock import to_db
from bot.conversation import (
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
from bot.models import Choice, Reply
from content.knowledge import pick
from content.schema import Topic, Urgency
from handlers.emergency import emergency_card, reader_steps

TOPIC_TOKEN = "topic:"
MAX_QUOTED_TEXT = 300


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"• {item}" for item in items)


def urgency_of(topic: Topic, emergency: bool) -> Urgency:
    return Urgency.GAWAT if emergency else topic.urgency


def topic_choice(ctx: StepContext, topic: Topic) -> Choice:
    return Choice(token=f"{TOPIC_TOKEN}{topic.id}", label=pick(topic.short_title, ctx.language))


def answer_topic(
    ctx: StepContext,
    topic_id: str,
    *,
    signs: list[str] | None = None,
    alternatives: list[str] | None = None,
    text: str = "",
) -> StartFlow:
    """Open a topic: the emergency card if needed, then the topic card with its first step."""
    topic = ctx.knowledge.topics[topic_id]
    signs = signs or []
    emergency = topic.always_emergency or bool(signs)
    replies = [emergency_card(ctx, topic, signs)] if emergency else []
    replies.append(topic_card(ctx, topic, emergency))
    draft = {
        "topic": topic_id,
        "step": 0,
        "emergency": emergency,
        "signs": signs,
        "alternatives": [t for t in alternatives or [] if t != topic_id],
        "text": text[:MAX_QUOTED_TEXT],
    }
    return StartFlow("first_aid", draft, replies)


def topic_card(ctx: StepContext, topic: Topic, emergency: bool) -> Reply:
    return ctx.reply(
        "first_aid.card",
        urgency=ctx.t(f"urgency.{urgency_of(topic, emergency).value}"),
        title=pick(topic.title, ctx.language),
        summary=pick(topic.summary, ctx.language),
        step=step_text(ctx, topic, 0),
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
    triage = ctx.knowledge.matcher.triage(text)
    if triage.topics:
        return answer_topic(
            ctx,
            triage.topics[0],
            signs=triage.danger_signs,
            alternatives=triage.topics[1:],
            text=text,
        )
    if triage.emergency:
        return Finish([emergency_card(ctx, None, triage.danger_signs)])
    return None


def stranger_emergency(ctx: StepContext, text: str) -> list[Reply]:
    """For someone not registered yet: an emergency still gets the card and the whole topic."""
    triage = ctx.knowledge.matcher.triage(text)
    if not triage.emergency:
        return []
    topic = ctx.knowledge.topics[triage.topics[0]] if triage.topics else None
    replies = [emergency_card(ctx, topic, triage.danger_signs)]
    if topic is not None:
        replies.append(full_card(ctx, topic))
    return replies


def not_understood(ctx: StepContext) -> Outcome:
    """Nothing matched: say so kindly, and offer the list and the kader."""
    return StartFlow("browse", {}, [ctx.reply("first_aid.not_found")])


def _current(ctx: StepContext) -> Topic:
    return ctx.knowledge.topics[str(ctx.draft["topic"])]


async def ask_what_next(ctx: StepContext) -> Reply:
    topic = _current(ctx)
    choices = []
    if int(ctx.draft["step"]) + 1 < len(reader_steps(ctx, topic)):
        choices.append(ctx.choice("fa:next", "first_aid.next"))
    choices += [
        ctx.choice("fa:danger", "first_aid.show_danger"),
        ctx.choice("fa:jangan", "first_aid.show_jangan"),
        ctx.choice("fa:other", "first_aid.other"),
        ctx.choice("fa:full", "first_aid.full_label"),
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
    match answer.choice:
        case "fa:next":
            ctx.draft["step"] = min(int(ctx.draft["step"]) + 1, last)
            replies = [
                ctx.reply("first_aid.step_only", text=step_text(ctx, topic, ctx.draft["step"]))
            ]
            if ctx.draft["step"] == last:
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
        case "fa:other":
            return Goto("other")
        case "fa:kader":
            return Finish([await tell_kader(ctx, topic)])
        case "fa:report":  # the injury is known already: the report starts with who was hurt
            draft = {"topic": topic.id, "what_text": ctx.draft.get("text", ""), "known": ["what"]}
            if ctx.draft.get("emergency"):
                draft.update(alerted=False, severe=True)
            return StartFlow("report", draft)
        case "fa:menu":
            return Finish()
    if answer.text:
        outcome = await triage_text(ctx, answer.text)
        if outcome is not None:
            return outcome
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
    emergency = bool(ctx.draft.get("emergency"))
    for kader in await ctx.uow.users.many(kader_ids):
        await ctx.notify(
            kader,
            kind="help_request",
            key="first_aid.kader_alert",
            dedupe_key=f"help:{user.id}:{to_db(ctx.now)}",
            urgent=emergency,
            name=user.name,
            phone=user.phone or "-",
            topic=pick(topic.title, kader.language) if topic else "-",
            text=ctx.draft.get("text") or "-",
        )
    return ctx.reply("first_aid.kader_told")


async def ask_other(ctx: StepContext) -> Reply:
    topics = [ctx.knowledge.topics[t] for t in ctx.draft.get("alternatives", [])]
    choices = [topic_choice(ctx, t) for t in topics]
    choices += [ctx.choice("fa:browse", "first_aid.browse"), ctx.choice("fa:back", "common.back")]
    key = "first_aid.alternatives" if topics else "first_aid.no_alternatives"
    return ctx.reply(key, choices=choices)


async def take_other(ctx: StepContext, answer: Answer) -> Outcome:
    """Another topic that might fit better, or the full list."""
    if answer.choice and answer.choice.startswith(TOPIC_TOKEN):
        chosen = answer.choice.removeprefix(TOPIC_TOKEN)
        if chosen in ctx.knowledge.topics:
            return answer_topic(
                ctx,
                chosen,
                signs=list(ctx.draft.get("signs", [])),
                alternatives=[ctx.draft["topic"], *ctx.draft.get("alternatives", [])],
                text=str(ctx.draft.get("text", "")),
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
    name="first_aid",
    first="what_next",
    steps={"what_next": Step(ask_what_next, take_what_next), "other": Step(ask_other, take_other)},
)
