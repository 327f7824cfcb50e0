"""Small charts as inline SVG: a few hundred bytes each, sharp on any screen, no script, and
nothing to fetch. Colours are presentation attributes (the pages' security policy allows no
inline styles); the caller passes words already in the reader's language, escaped here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BAR_COLOUR = "#1565c0"
SECOND_COLOUR = "#90a4ae"
LINE_COLOUR = "#2e7d32"
GRID_COLOUR = "#cfd8dc"
TEXT_COLOUR = "#212121"
GROUP_COLOUR = "#2e7d32"
WIDTH = 320
"""Charts are drawn this wide and scale to the screen (`viewBox`)."""
ROW = 26


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[int, ...]
    """One value per series: one bar, or two side by side (this month, last month)."""


def bars(title: str, rows: Sequence[Bar]) -> Markup:
    """Horizontal bars, one row per label, each value written at the end of its bar."""
    series = max((len(row.values) for row in rows), default=1)
    top = max((v for row in rows for v in row.values), default=0) or 1
    label_width, room = 110, WIDTH - 110 - 34
    step = ROW * series + 8
    parts = []
    for index, row in enumerate(rows):
        y = index * step + 4
        parts.append(_text(0, y + ROW * series / 2 + 5, row.label))
        for n, value in enumerate(row.values):
            colour = BAR_COLOUR if n == 0 else SECOND_COLOUR
            width = max(1.0, room * value / top)
            parts.append(
                f'<rect x="{label_width}" y="{y + n * ROW + 3}" width="{width:.1f}"'
                f' height="{ROW - 8}" fill="{colour}"/>'
            )
            parts.append(_text(label_width + width + 4, y + n * ROW + 17, str(value)))
    return _svg(title, WIDTH, len(rows) * step + 8, parts)


def line(title: str, points: Sequence[tuple[str, int | None]], top: int = 100) -> Markup:
    """Values from 0 to `top` joined by a line, one labelled point per entry; None is a gap."""
    height, left, bottom = 150, 28, 22
    room_x, room_y = WIDTH - left - 10, height - bottom - 10
    dx = room_x / max(1, len(points) - 1)
    parts = []
    for level in (0, top // 2, top):
        y = 10 + room_y * (1 - level / top)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}"'
            f' stroke="{GRID_COLOUR}"/>'
        )
        parts.append(_text(0, y + 4, str(level), size=11))
    path: list[str] = []
    for index, (label, value) in enumerate(points):
        x = left + index * dx
        if index % 2 == len(points) % 2 or len(points) < 7:
            parts.append(_text(x - 8, height - 6, label, size=10))
        if value is None:
            path.append("")
            continue
        y = 10 + room_y * (1 - value / top)
        path.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE_COLOUR}"/>')
    for stretch in " ".join(path).split("  "):
        if stretch.strip():
            parts.append(
                f'<polyline points="{stretch.strip()}" fill="none" stroke="{LINE_COLOUR}"'
                ' stroke-width="2"/>'
            )
    return _svg(title, WIDTH, height, parts)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    label: str
    group: bool = False
    """A group (a square) rather than a report (a dot)."""


NEAR = 10
"""Report dots closer than this (pixels) share one label: "1, 2"."""
MAX_LABELS = 4
GRID_STEPS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


def grid_step(span: float) -> float:
    """A round number of degrees giving three to eight lines across `span`."""
    return next((step for step in GRID_STEPS if span / step <= 8), GRID_STEPS[-1])


def point_map(title: str, points: Sequence[Point]) -> tuple[Markup, float]:
    """Points on a plain latitude / longitude grid (no map tiles: nothing to download), each
    with its label; and the grid's step in degrees."""
    south = min(p.latitude for p in points)
    north = max(p.latitude for p in points)
    west = min(p.longitude for p in points)
    east = max(p.longitude for p in points)
    squeeze = math.cos(math.radians((north + south) / 2))
    span = max((east - west) * squeeze, north - south, 0.01) * 1.4
    step = grid_step(span)
    middle_x, middle_y = (east + west) / 2 * squeeze, (north + south) / 2
    size = WIDTH - 20

    def place(latitude: float, longitude: float) -> tuple[float, float]:
        x = 10 + size / 2 + (longitude * squeeze - middle_x) / span * size
        y = 10 + size / 2 - (latitude - middle_y) / span * size
        return x, y

    parts = [f'<rect x="10" y="10" width="{size}" height="{size}" fill="#f5f7f8"/>']
    first_lat = math.floor((middle_y - span / 2) / step) * step
    lat = first_lat
    while lat <= middle_y + span / 2:
        _, y = place(lat, 0)
        if 10 <= y <= 10 + size:
            parts.append(
                f'<line x1="10" y1="{y:.1f}" x2="{10 + size}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>'
            )
            parts.append(_text(12, y - 2, f"{lat:.3f}".rstrip("0").rstrip("."), size=9))
        lat += step
    lon = math.floor((middle_x - span / 2) / squeeze / step) * step
    while lon * squeeze <= middle_x + span / 2:
        x, _ = place(0, lon)
        if 10 <= x <= 10 + size:
            parts.append(
                f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{10 + size}" stroke="{GRID_COLOUR}"/>'
            )
            parts.append(_text(x + 2, 8 + size, f"{lon:.3f}".rstrip("0").rstrip("."), size=9))
        lon += step
    labels: list[tuple[float, float, list[str]]] = []
    for point in sorted(points, key=lambda p: not p.group):  # groups under the reports
        x, y = place(point.latitude, point.longitude)
        if point.group:
            parts.append(
                f'<rect x="{x - 9:.1f}" y="{y - 9:.1f}" width="18" height="18" fill="none"'
                f' stroke="{GROUP_COLOUR}" stroke-width="3"/>'
            )
            parts.append(_text(x - 9, y + 24, point.label, size=11, bold=True))
            continue
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR_COLOUR}"/>')
        near = next((s for s in labels if abs(s[0] - x) < NEAR and abs(s[1] - y) < NEAR), None)
        if near is None:
            labels.append((x, y, [point.label]))
        else:
            near[2].append(point.label)
    for x, y, names in labels:
        shown = ", ".join(names[:MAX_LABELS])
        if len(names) > MAX_LABELS:
            shown += f" +{len(names) - MAX_LABELS}"
        parts.append(_text(x + 11, y - 4, shown, size=10))
    return _svg(title, WIDTH, WIDTH, parts), step


def _text(x: float, y: float, words: str, size: int = 13, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{TEXT_COLOUR}"{weight}>'
        f"{escape(words)}</text>"
    )


def _svg(title: str, width: int, height: float, parts: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}"'
        f' role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(parts)
        + "</svg>"
    )
