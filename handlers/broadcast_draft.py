"""What an officer's or kader's broadcast has gathered so far (`broadcast` flow, with its
history and inbox steps)."""

from __future__ import annotations

import datetime as dt

from bot.core.conversation import Draft
from bot.domain.audience import Audience


class BroadcastDraft(Draft):
    text: str = ""
    photo: str | None = None
    """Read in stored sessions by `PrivacyRepository.photos_in_use`: the file is kept."""
    audience: Audience | None = None
    """Who it reaches; None until a scope is chosen (or known: a kader's one group)."""
    page: int = 0
    """Of the chosen groups, 8 a page."""
    send_at: dt.datetime | None = None
    """None: now."""
    shown: int = 0
    """The broadcast opened from the history."""
