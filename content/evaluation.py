"""Measure triage against a labelled message set: topics, emergencies, alarms and questions.

Two formats: JSONL lines `{"text", "topic" (id or null), "also" (other fair ids), "emergency"}`,
and the outside set's TSV (`topics` as `a|b`, `emergency` as 1, 0 or `-` for unclear, `text`).
An emergency counts as caught when it is flagged directly or its red-flag question is asked
before any step; a non-emergency flagged is a false alarm.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from content.classifier import NO_TOPIC, Example
from content.concepts import Vocabulary
from content.matcher import Matcher
from content.schema import Topic

ALL_REGISTERS = "all"
FOLD_SEED = 7


@dataclass(frozen=True)
class Case:
    text: str
    topic: str | None
    also: frozenset[str]
    emergency: bool | None
    """None when the labellers found it unclear: it then counts for topics only."""
    register: str = ""

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
    flagged: int = 0
    asked: int = 0
    missed_emergencies: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    calm_asked: list[str] = field(default_factory=list)
    misses: list[tuple[str, str | None, list[str]]] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / max(1, self.cases)

    @property
    def top3_rate(self) -> float:
        return self.top3 / max(1, self.cases)

    @property
    def flag_rate(self) -> float:
        """Share of emergencies flagged directly, without a question."""
        return self.flagged / max(1, self.emergencies)

    @property
    def false_alarm_rate(self) -> float:
        return len(self.false_alarms) / max(1, self.calm)

    @property
    def question_rate(self) -> float:
        """Share of non-emergencies that get a red-flag question."""
        return len(self.calm_asked) / max(1, self.calm)

    def summary(self) -> str:
        caught = self.emergencies - len(self.missed_emergencies)
        return (
            f"{self.cases} messages: top-1 {self.top1_rate:.1%}, top-3 {self.top3_rate:.1%};"
            f" emergencies caught {caught}/{self.emergencies}"
            f" (flagged {self.flag_rate:.1%}, asked {self.asked});"
            f" false alarms {len(self.false_alarms)}/{self.calm} ({self.false_alarm_rate:.1%});"
            f" questions on non-emergencies {len(self.calm_asked)}/{self.calm}"
            f" ({self.question_rate:.1%})"
        )


def load_cases(path: Path) -> list[Case]:
    """A labelled set in either format, by its file extension."""
    if path.suffix == ".tsv":
        return _load_tsv(path)
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            also = frozenset(raw.get("also", []))
            emergency = raw["emergency"]
            cases.append(
                Case(
                    raw["text"],
                    raw["topic"],
                    also,
                    None if emergency is None else bool(emergency),
                    raw.get("register", ""),
                )
            )
    return cases


def _load_tsv(path: Path) -> list[Case]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    cases = []
    for row in rows:
        first, *others = row["topics"].split("|")
        label = row["emergency"].strip()
        emergency = None if label == "-" else label == "1"
        cases.append(Case(row["text"], first, frozenset(others), emergency))
    return cases


def evaluate(matcher: Matcher, cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        _score(report, matcher, case)
    return report


def _score(report: Report, matcher: Matcher, case: Case) -> None:
    triage = matcher.triage(case.text)
    report.cases += 1
    first = case.accepts(triage.topics[:1]) if case.topic else case.accepts(triage.topics)
    report.top1 += first
    report.top3 += case.accepts(triage.topics[:3]) if case.topic else first
    if not first:
        report.misses.append((case.text, case.topic, triage.topics[:3]))
    if case.emergency is None:
        return
    if case.emergency:
        report.emergencies += 1
        report.flagged += triage.emergency
        report.asked += bool(triage.ask) and not triage.emergency
        if not (triage.emergency or triage.ask):
            report.missed_emergencies.append(case.text)
    else:
        report.calm += 1
        if triage.emergency:
            report.false_alarms.append(case.text)
        elif triage.ask:
            report.calm_asked.append(case.text)


def cross_validate(
    topics: Mapping[str, Topic], vocabulary: Vocabulary, cases: Sequence[Case], folds: int
) -> dict[str, Report]:
    """Train on all folds but one, measure on that one, in turn: how triage does on messages of
    the training set's kinds it has not learned from. One report for all, and one per register."""
    order = list(range(len(cases)))
    random.Random(FOLD_SEED).shuffle(order)
    examples = [Example(case.text, case.topic or NO_TOPIC) for case in cases]
    reports: dict[str, Report] = {}
    for fold in range(folds):
        held_out = set(order[fold::folds])
        matcher = Matcher(
            topics, vocabulary, [e for n, e in enumerate(examples) if n not in held_out]
        )
        for n in sorted(held_out):
            case = cases[n]
            for name in (ALL_REGISTERS, case.register or "-"):
                _score(reports.setdefault(name, Report()), matcher, case)
    return reports
