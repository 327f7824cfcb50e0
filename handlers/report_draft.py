"""What an incident report has gathered so far (`report` flow), read again by the alerts."""

from __future__ import annotations

from pydantic import Field

from bot.core.conversation import Draft


class ReportDraft(Draft):
    """A field is set once its question is answered, even with None ("umur tidak tahu", no
    photo): `answered` tells a question answered from one never asked."""

    who: str | None = None
    """self, other, or none (a near miss)."""
    victim_name: str | None = None
    sex: str | None = None
    age: int | None = None
    employment: str | None = None
    topic: str | None = None
    what_text: str | None = None
    body: str | None = None
    occurred_on: str | None = None
    """Local date, YYYY-MM-DD."""
    occurred_time: str | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    activity: str | None = None
    activity_text: str | None = None
    danger: bool | None = None
    first_aid: str | None = None
    stopped: bool | None = None
    photo: str | None = None
    voice: str | None = None
    """`photo` and `voice` are read in stored sessions by `PrivacyRepository.photos_in_use`: a
    file an unfinished report names is kept."""
    anonymous: bool = False
    alerted: bool = False
    """The emergency alarm went out during this report (once per report)."""
    severe: bool = False
    fixing: bool = False
    """Correcting from the summary: only unanswered questions are asked."""
    known: list[str] = Field(default_factory=list)
    """Questions skipped on the way forward: pre-filled from first aid or the last report."""
    from_words: list[str] = Field(default_factory=list)
    """Questions answered by the person's own words (`handlers.report_words`), shown in the
    summary to confirm."""
    sector: str | None = None
    """The trade the person's words name, when it is one: its choices are offered first."""
