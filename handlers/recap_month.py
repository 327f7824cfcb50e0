"""Which month `/capaian` and `/ringkasan` show: the one typed after the command, or a default."""

from __future__ import annotations

import datetime as dt
import re

from bot.base.models import Reply
from bot.core.conversation import StepContext
from bot.reports.indicators import local_month

_TYPED_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*$")
FIRST_YEAR = 2020


def asked_month(ctx: StepContext, command: str, args: str, default: dt.date) -> dt.date | Reply:
    """The month typed as `2026-10` (or `2026/10`), `default` if nothing was typed, or a
    friendly re-prompt for anything else, including a month still to come."""
    if not args.strip():
        return default
    typed = _TYPED_MONTH.match(args)
    latest = local_month(ctx.now, ctx.timezone)
    if typed is not None:
        year, number = int(typed[1]), int(typed[2])
        if 1 <= number <= 12 and year >= FIRST_YEAR:
            month = dt.date(year, number, 1)
            if month <= latest:
                return month
    return ctx.reply("recap.bad_month", command=command, example=f"{latest:%Y-%m}")
