"""Samples of one timed operation, summarised as the figures every benchmark reports."""

from __future__ import annotations

from collections.abc import Sequence

from bench.results import Figure, percentile


def spread(name: str, samples_ms: Sequence[float], goal_ms: float | None = None) -> list[Figure]:
    """p50, p99 and max of `samples_ms`; the p99 is held to `goal_ms` when there is one."""
    p99 = percentile(samples_ms, 0.99)
    return [
        Figure(f"{name} p50", percentile(samples_ms, 0.5), "ms"),
        Figure(
            f"{name} p99",
            p99,
            "ms",
            goal=f"< {goal_ms:g} ms" if goal_ms is not None else "",
            met=p99 < goal_ms if goal_ms is not None else None,
        ),
        Figure(f"{name} max", max(samples_ms), "ms"),
    ]


def ratio(name: str, measured: float, baseline: float) -> Figure:
    """`measured` over `baseline`, both from the same run."""
    return Figure(name, measured / baseline, "x")
