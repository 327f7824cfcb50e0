"""Measure triage against a labelled message set: top-1 / top-3 accuracy, emergency recall, alarms.

A line of the set is `{"text", "topic" (id or null), "also" (other fair ids), "emergency"}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from content.matcher import Matcher


@dataclass(frozen=True)
class Case:
    text: str
    topic: str | None
    also: frozenset[str]
    emergency: bool

    def accepts(self, topics: list[str]) -> bool:
        """Whether `topics` (best first) would be a right answer."""
        if self.topic is None:
            return not topics
        return any(t == self.topic or t in self.also for t in topics)


@dataclass
class Report:
    cases: int = 0
    top1: int = 0
    top3: int = 0
    emergencies: int = 0
    calm: int = 0
    missed_emergencies: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    misses: list[tuple[str, str | None, list[str]]] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.cases

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.cases

    @property
    def false_alarm_rate(self) -> float:
        return len(self.false_alarms) / max(1, self.calm)

    def summary(self) -> str:
        return (
            f"{self.cases} messages: top-1 {self.top1_rate:.1%}, top-3 {self.top3_rate:.1%},"
            f" emergencies recognised {self.emergencies - len(self.missed_emergencies)}"
            f"/{self.emergencies}, false alarms {len(self.false_alarms)}/{self.calm}"
            f" ({self.false_alarm_rate:.1%})"
        )


def load_cases(path: Path) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            also = frozenset(raw.get("also", []))
            cases.append(Case(raw["text"], raw["topic"], also, bool(raw["emergency"])))
    return cases


def evaluate(matcher: Matcher, cases: list[Case]) -> Report:
    report = Report(cases=len(cases))
    for case in cases:
        triage = matcher.triage(case.text)
        first = case.accepts(triage.topics[:1]) if case.topic else case.accepts(triage.topics)
        report.top1 += first
        report.top3 += case.accepts(triage.topics[:3]) if case.topic else first
        if not first:
            report.misses.append((case.text, case.topic, triage.topics[:3]))
        if case.emergency:
            report.emergencies += 1
            if not triage.emergency:
                report.missed_emergencies.append(case.text)
        else:
            report.calm += 1
            if triage.emergency:
                report.false_alarms.append(case.text)
    return report
