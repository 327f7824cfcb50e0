"""Small chart images for a phone screen: progress bars for a kader's month, bar counts for an
officer's summary.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, safe in a worker
thread). Callers pass words already in the reader's language; this module draws, nothing more.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_INCHES = 6.4
DPI = 125
"""800 pixels wide: sharp on a cheap phone, and a small file to download on a weak signal."""
ROW_INCHES = 0.8
"""A progress bar with its label above it."""
BAR_INCHES = 0.5
"""A counted bar."""
PANEL_INCHES = 0.6
"""A panel's heading and margins."""
FONT_SIZE = 15
TITLE_SIZE = 17
DONE_COLOUR = "#2e7d32"
WHOLE_COLOUR = "#e0e0e0"
BAR_COLOUR = "#1565c0"
TEXT_COLOUR = "#212121"
MAX_BARS = 8
"""Bars per panel; the rest are added up in one last bar the caller names."""


@dataclass(frozen=True)
class Progress:
    """One bar filled to `share` (0 to 1, None when there is nothing to measure), captioned."""

    label: str
    share: float | None
    caption: str


@dataclass(frozen=True)
class Panel:
    """Counts under one heading, drawn as horizontal bars, largest first."""

    title: str
    counts: Sequence[tuple[str, int]]
    empty: str
    """Shown instead of bars when every count is zero (or there is none)."""


def progress_chart(title: str, rows: Sequence[Progress]) -> bytes:
    """Each row a bar from 0 to 100 %, filled to its share, with its caption beside it."""
    figure = _figure(title, len(rows) * ROW_INCHES * 1.4 + 1.2)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]
    axes.barh(positions, [1.0] * len(rows), color=WHOLE_COLOUR, height=0.55)
    axes.barh(positions, [row.share or 0.0 for row in rows], color=DONE_COLOUR, height=0.55)
    for position, row in zip(positions, rows, strict=True):
        axes.text(0, position + 0.42, row.label, fontsize=FONT_SIZE, color=TEXT_COLOUR)
        axes.text(
            0.98,
            position,
            row.caption,
            fontsize=FONT_SIZE,
            color=TEXT_COLOUR,
            ha="right",
            va="center",
            fontweight="bold",
        )
    axes.set_xlim(0, 1)
    axes.set_ylim(-0.5, len(rows) - 0.1)
    axes.set_axis_off()
    return _png(figure)


def count_chart(title: str, panels: Sequence[Panel]) -> bytes:
    """One panel of horizontal bars per heading, each bar labelled with its count."""
    shown = [list(panel.counts) if any(n for _, n in panel.counts) else [] for panel in panels]
    rows = [max(1, len(counts)) for counts in shown]
    figure = _figure(title, sum(rows) * BAR_INCHES + len(panels) * PANEL_INCHES + 0.8)
    grid = figure.add_gridspec(len(panels), 1, height_ratios=rows)
    for index, (panel, counts) in enumerate(zip(panels, shown, strict=True)):
        axes = figure.add_subplot(grid[index])
        axes.set_title(panel.title, fontsize=FONT_SIZE, loc="left", color=TEXT_COLOUR)
        if not counts:
            axes.text(0.5, 0.5, panel.empty, fontsize=FONT_SIZE, ha="center", va="center")
            axes.set_axis_off()
            continue
        labels = [label for label, _ in counts][::-1]
        values = [count for _, count in counts][::-1]
        bars = axes.barh(labels, values, color=BAR_COLOUR, height=0.6)
        axes.bar_label(bars, padding=4, fontsize=FONT_SIZE, color=TEXT_COLOUR)
        axes.set_xlim(0, max(values) * 1.25 or 1)
        axes.set_ylim(-0.5, len(counts) - 0.5)
        axes.tick_params(axis="y", labelsize=FONT_SIZE, length=0)
        axes.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            axes.spines[side].set_visible(False)
    return _png(figure)


def top_counts(counts: Sequence[tuple[str, int]], rest_label: str) -> list[tuple[str, int]]:
    """The `MAX_BARS` - 1 largest counts and the sum of the others, or all if they fit."""
    ordered = sorted(counts, key=lambda item: (-item[1], item[0]))
    if len(ordered) <= MAX_BARS:
        return ordered
    kept = ordered[: MAX_BARS - 1]
    return [*kept, (rest_label, sum(count for _, count in ordered[MAX_BARS - 1 :]))]


def _figure(title: str, height: float) -> Figure:
    # matplotlib is imported when the first chart is drawn: 28 MB a bot that draws none never
    # pays (`bench.broadcast` measures the bot's memory).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold", color=TEXT_COLOUR)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
