"""Browsing topics by category, at most ten buttons a page, for people who do not type."""

from __future__ import annotations

from bot.core.engine import Engine
from content.knowledge import Knowledge
from content.schema import Category
from tests.conftest import person


async def test_browse_categories_then_pages_then_a_topic(
    engine: Engine, knowledge: Knowledge
) -> None:
    budi = person(engine, "budi")
    await budi.say("/p3k")
    assert budi.keys == ["browse.categories"]
    assert len(budi.tokens) <= 10
    await budi.say("1")
    assert budi.keys == ["browse.topics"]
    assert len(budi.tokens) <= 10
    wounds = knowledge.in_category(Category.WOUNDS)
    seen: set[str] = set()
    for _ in range(5):
        seen |= {t for t in budi.tokens if t.startswith("topic:")}
        if "browse:more" not in budi.tokens:
            break
        await budi.tap("browse:more")
    assert seen == {f"topic:{topic.id}" for topic in wounds}
    assert "browse:prev" in budi.tokens, "the last page goes back, it never wraps to page 1"
    last_page = budi.last[-1].text
    await budi.tap("browse:prev")
    assert budi.last[-1].text != last_page
    assert "browse:more" in budi.tokens
    await budi.tap("browse:more")
    assert budi.last[-1].text == last_page
    await budi.tap("topic:cut")
    assert budi.keys == ["common.choice_not_offered", "browse.topics"], "cut is not on this page"
    shown = next(t for t in budi.tokens if t.startswith("topic:"))
    await budi.tap(shown)
    assert budi.keys[-2:] == ["first_aid.card", "first_aid.what_next"]


async def test_every_category_has_topics_and_every_page_fits(
    engine: Engine, knowledge: Knowledge
) -> None:
    for category in Category:
        assert knowledge.in_category(category), category
    budi = person(engine, "budi")
    for number in range(1, len(Category) + 1):
        await budi.say("/p3k")
        await budi.say(str(number))
        assert budi.keys == ["browse.topics"]
        assert 2 <= len(budi.tokens) <= 10


async def test_back_returns_to_the_categories(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("/p3k")
    await budi.tap("cat:laut")
    await budi.tap("browse:back")
    assert budi.keys == ["browse.categories"]
