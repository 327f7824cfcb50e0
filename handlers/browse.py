"""Browsing first-aid topics by category, for people who do not type: at most 10 buttons a page."""

from __future__ import annotations

from bot.base.models import Reply
from bot.core.conversation import (
    Answer,
    Draft,
    Finish,
    Flow,
    Goto,
    Outcome,
    Retry,
    Step,
    StepContext,
)
from content.schema import Category
from handlers.first_aid import TOPIC_TOKEN, open_topic, tell_kader, topic_choice, triage_text
from handlers.paging import on_page, page_moves, pages_of, turned

TOPICS_PER_PAGE = 8
"""Eight topics, "more" and "back" make ten: the most a WhatsApp list can hold."""


class BrowseDraft(Draft):
    category: Category = Category.WOUNDS
    page: int = 0


async def ask_category(ctx: StepContext) -> Reply:
    choices = [ctx.choice(f"cat:{c.value}", f"browse.category_{c.value}") for c in Category]
    if ctx.user is not None:
        choices.append(ctx.choice("browse:kader", "first_aid.tell_kader"))
    choices.append(ctx.choice("browse:menu", "common.main_menu"))
    return ctx.reply("browse.categories", choices=choices)


async def take_category(ctx: StepContext, answer: Answer) -> Outcome:
    """A category of injuries, the kader, or back to the menu."""
    if answer.choice and answer.choice.startswith("cat:"):
        ctx.draft = BrowseDraft(category=Category(answer.choice.removeprefix("cat:")))
        return Goto("topic")
    if answer.choice == "browse:kader":
        return Finish([await tell_kader(ctx, None)])
    if answer.choice == "browse:menu":
        return Finish()
    if answer.text:
        outcome = await triage_text(ctx, answer.text)
        if outcome is not None:
            return outcome
    return Retry(ctx.reply("common.pick_option"))


async def ask_topic(ctx: StepContext) -> Reply:
    draft = ctx.draft_as(BrowseDraft)
    category = draft.category
    topics = ctx.knowledge.in_category(category)
    pages = pages_of(len(topics), TOPICS_PER_PAGE)
    page = on_page(draft.page, pages)
    shown = topics[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]
    choices = [topic_choice(ctx, topic) for topic in shown]
    choices += page_moves(ctx, "browse:", page, pages)
    choices.append(ctx.choice("browse:back", "common.back"))
    return ctx.reply(
        "browse.topics",
        choices=choices,
        category=ctx.t(f"browse.category_{category.value}"),
        page=page + 1,
        pages=pages,
    )


async def take_topic(ctx: StepContext, answer: Answer) -> Outcome:
    """A topic from the page, the next page, or back to the categories."""
    if answer.choice and answer.choice.startswith(TOPIC_TOKEN):
        topic_id = answer.choice.removeprefix(TOPIC_TOKEN)
        if topic_id in ctx.knowledge.topics:
            return open_topic(ctx, topic_id, alternatives=[], signs=[], text="")
    draft = ctx.draft_as(BrowseDraft)
    page = turned(answer.choice, "browse:", draft.page)
    if page is not None:
        draft.page = page
        return Goto("topic")
    if answer.choice == "browse:back":
        return Goto("category")
    return Retry(ctx.reply("common.pick_option"))


FLOW = Flow(
    name="browse",
    first="category",
    steps={"category": Step(ask_category, take_category), "topic": Step(ask_topic, take_topic)},
    draft=BrowseDraft,
)
