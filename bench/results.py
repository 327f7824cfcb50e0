"""How every benchmark reports: a table on the terminal and a JSON file under bench/results/.

Figures are ratios against a baseline measured in the same run wherever the goal allows it, so
they hold on a noisy machine; the JSON also records the machine and the library versions.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
LIBRARIES = (
    "python-telegram-bot",
    "aiohttp",
    "uvloop",
    "httpx",
    "aiosqlite",
    "APScheduler",
    "pydantic",
    "pywa",
)


@dataclass(frozen=True)
class Figure:
    """One measured number, with the goal it is held to (if any) and whether it met it."""

    name: str
    value: float
    unit: str
    goal: str = ""
    met: bool | None = None


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` from 0 to 1) of `values`."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu": model or platform.processor(),
        "system": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        **{name: version(name) for name in LIBRARIES},
    }


def report(benchmark: str, figures: Sequence[Figure], details: dict[str, object]) -> Path:
    """Print `figures` as a table and write them, `details` and the machine to
    bench/results/<benchmark>.json; returns that path."""
    width = max(len(figure.name) for figure in figures)
    print(f"\n{benchmark}")
    for figure in figures:
        verdict = {None: "", True: "met", False: "NOT MET"}[figure.met]
        goal = f"goal {figure.goal}" if figure.goal else ""
        print(
            f"  {figure.name:<{width}}  {figure.value:>12.3f} {figure.unit:<8} {goal:<18} {verdict}"
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{benchmark}.json"
    content = {
        "benchmark": benchmark,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": [asdict(figure) for figure in figures],
        "details": details,
    }
    path.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
    return path
