"""Choices on pages (topics, names, groups): "Lainnya" to the next page, and on the last page
"Sebelumnya" back, so "more" never wraps round to the first page unannounced."""

from __future__ import annotations

from bot.base.models import Choice
from bot.core.conversation import StepContext


def pages_of(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))


def on_page(page: int, pages: int) -> int:
    """A stored page number within the pages there are now (the list may have shrunk)."""
    return min(max(page, 0), pages - 1)


def page_moves(ctx: StepContext, prefix: str, page: int, pages: int) -> list[Choice]:
    """The button to the next page, or on the last page the one back."""
    if pages <= 1:
        return []
    if page < pages - 1:
        return [ctx.choice(f"{prefix}more", "common.more")]
    return [ctx.choice(f"{prefix}prev", "common.previous")]


def turned(token: str | None, prefix: str, page: int) -> int | None:
    """The page a "more" or "back" button leads to; None for any other answer."""
    if token == f"{prefix}more":
        return page + 1
    if token == f"{prefix}prev":
        return max(page - 1, 0)
    return None
