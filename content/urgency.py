"""How urgent a message is, from the red flags it states and the topics' own rules.

The order is the one emergency dispatchers follow: a general question (training, prevention) is
not an emergency happening now; a danger sign of any topic is GAWAT; then the topic's own GAWAT
rules, its always-emergency nature unless a calm rule holds, its SEGERA rules; and when the
message neither states nor rules out the topic's red flags, one question decides.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from content.concepts import ConceptFinder, Findings, Role
from content.schema import RedFlagQuestion, Topic, Urgency

GENERAL_QUESTION = "hypothetical"
GENERAL_ASKING = "asking-how"
HAPPENING_NOW = "happening-now"
SOMEONE_HURT = "someone-hurt"
ANY_TOPIC = "*"
"""Stands for the topic in a danger combination: it holds whatever the topic."""
QUESTION_MOOT = ("all-clear", "minor", "recovered")
"""Concepts that make any red-flag question unnecessary: the person has looked and says so."""


@dataclass(frozen=True)
class Assessment:
    urgency: Urgency | None
    """None when no topic fits and no danger sign is stated."""
    danger_signs: list[str]
    """Danger signs of any topic (concept ids), in the vocabulary's order."""
    rules: list[tuple[str, tuple[str, ...]]]
    """The topic rules that fired: (topic id, the concepts of the rule)."""
    ask: RedFlagQuestion | None
    general: bool
    """A question asked for training, prevention or curiosity: nothing is happening now."""

    @property
    def emergency(self) -> bool:
        return self.urgency is Urgency.GAWAT and not self.general


def is_general(findings: Findings, finder: ConceptFinder) -> bool:
    """Whether the message asks in general ("tips...", "kalau ada...") rather than reports.

    A plain "how do I..." is general only when no one is said to be hurt and no danger sign is
    stated: "berapa kali tekan dada? orangnya ga respon" is an emergency asking for help.
    """
    if findings.has(HAPPENING_NOW):
        return False
    if findings.has(GENERAL_QUESTION):
        return True
    return (
        findings.has(GENERAL_ASKING)
        and not findings.has(SOMEONE_HURT)
        and not finder.danger_signs(findings)
    )


def assess(
    topics: Mapping[str, Topic],
    plausible: Sequence[str],
    findings: Findings,
    finder: ConceptFinder,
    *,
    confident: Collection[str] = (),
) -> Assessment:
    """The urgency of a message whose plausible topics are `plausible` (best first, maybe none).

    The GAWAT rules of every plausible topic are read: when two readings are close and one of
    them is an emergency, the message is treated as one. A rule made only of qualifiers (a place
    on the body: "perut") needs its topic to be `confident`; alone the word says nothing.
    """
    ranked = plausible
    best = topics[ranked[0]] if ranked else None
    if is_general(findings, finder):
        return Assessment(best.urgency if best else None, [], [], None, general=True)
    signs = finder.danger_signs(findings)
    rules = [(ANY_TOPIC, combo) for combo in finder.dangerous_combinations(findings)]
    rules += [
        (topic_id, tuple(rule))
        for topic_id in ranked
        for rule in topics[topic_id].red_flags.gawat
        if findings.holds(rule) and (topic_id in confident or _names_a_sign(rule, finder))
    ]
    if signs or rules:
        return Assessment(Urgency.GAWAT, signs, rules, None, general=False)
    if best is None:
        return Assessment(None, [], [], None, general=False)
    flags = best.red_flags
    if best.always_emergency:
        calm = [(best.id, tuple(rule)) for rule in flags.calm if findings.holds(rule)]
        urgency = Urgency.SEGERA if calm else Urgency.GAWAT
        return Assessment(urgency, [], calm, None, general=False)
    segera = [(best.id, tuple(rule)) for rule in flags.segera if findings.holds(rule)]
    urgency = Urgency.SEGERA if segera and best.urgency is Urgency.RAWAT else best.urgency
    question = flags.ask if flags.ask and _open(flags.ask, findings) else None
    return Assessment(urgency, [], segera, question, general=False)


def _names_a_sign(rule: Sequence[str], finder: ConceptFinder) -> bool:
    return any(finder.concepts[c.removeprefix("!")].role is Role.SIGN for c in rule)


def _open(question: RedFlagQuestion, findings: Findings) -> bool:
    """Whether the message leaves the question open: its premise is there, nothing answers it."""
    if not all(findings.holds([concept]) for concept in question.when):
        return False
    if any(findings.holds([concept]) for concept in (*QUESTION_MOOT, *question.unless)):
        return False
    return not any(flag in findings.ruled_out or findings.has(flag) for flag in question.flags)
