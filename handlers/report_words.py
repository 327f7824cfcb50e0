"""A report takes what the person's own words already say (body part, work, place) instead of
asking it again; the summary shows what was read, to be corrected if wrong."""

from __future__ import annotations

from bot.core.conversation import StepContext
from bot.domain.incident_words import read_incident_words
from handlers.report_draft import ReportDraft

READ_FROM_WORDS = ("body", "activity", "where")
"""The questions words can answer, by step name (`where` fills `place`)."""


def take_words(ctx: StepContext, draft: ReportDraft, text: str) -> None:
    """Fill the questions `text` answers and nobody answered yet; note the trade it names."""
    found = read_incident_words(text)
    filled: list[str] = []
    if found.body and not draft.answered("body"):
        draft.body = found.body
        filled.append("body")
    if found.activity and not draft.answered("activity"):
        draft.activity = found.activity
        draft.activity_text = ""
        filled.append("activity")
    if found.place and not draft.answered("place"):
        draft.place = ctx.t(f"incident.place_{found.place}")
        draft.lat = None
        draft.lon = None
        filled.append("where")
    if found.sector is not None:
        draft.sector = found.sector.value
    draft.known = [*draft.known, *(step for step in filled if step not in draft.known)]
    draft.from_words = [*draft.from_words, *(s for s in filled if s not in draft.from_words)]


def confirmed(draft: ReportDraft, step: str) -> None:
    """`step` was asked and answered: it no longer comes from the words."""
    if step in draft.from_words:
        draft.from_words = [s for s in draft.from_words if s != step]


def words_note(ctx: StepContext, draft: ReportDraft) -> str | None:
    """The summary's line naming the answers read from the words, if any."""
    if not draft.from_words:
        return None
    fields = ", ".join(ctx.t(f"report.field_{step}").lower() for step in draft.from_words)
    return ctx.t("report.from_words", fields=fields)
