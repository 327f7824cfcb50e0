"""Free-text triage: which topics a message is about, how urgent it is, and what to ask first.

Three readings of one message meet here: the red-flag concepts it states or rules out
(`concepts`), the topics' own keywords it uses (`keywords`), and a classifier trained on
labelled messages that reads both (`classifier`). The classifier ranks the topics; the concepts
and the topics' rules decide the urgency (`urgency`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from content.classifier import NO_TOPIC, Example, TopicClassifier, features
from content.concepts import ConceptFinder, Findings, Role, Vocabulary
from content.keywords import KeywordIndex
from content.schema import RedFlagQuestion, Topic, Urgency
from content.urgency import SOMEONE_HURT, Assessment, assess

MAX_TOPICS = 5
EXPLAINED_FEATURES = 8
CONFIDENT = 5.0
"""Without any keyword or red flag of the content, a best topic needs this many times the chance
of a blind guess to count: "ada yg jual jaring bekas?" is about no topic."""
CONFIDENT_RULE = 0.25
STRONG_KEYWORDS = 12.0
"""A topic this likely, or the keyword index's first with this score (about two telling words),
is sure enough to apply rules made only of qualifiers: "luka bakar ... sebadan" is a large burn,
but the single word "perut" is no stab wound in the belly."""
SUGGESTED = 3.0
"""A topic a stated concept points to (heavy bleeding: severe-bleeding; lockjaw: tetanus) is this
many times likelier: the sign says which card comes first."""
UNFIT = 0.05
"""How far back a topic is set when the message lacks what the topic requires (an eye)."""
NOTHING_CLOSE = 0.8
"""When "about no topic" is this close to the best topic and nobody is said to be hurt (no red
flag, no person with an injury), the message is about nothing: "ada buaya di muara"."""
PLAUSIBLE = 0.5
"""A runner-up this close to the best (as a share of its probability) is a plausible reading too:
its GAWAT rules count."""


class RuleError(ValueError):
    """A topic's red-flag rule names a concept the vocabulary does not have."""


@dataclass(frozen=True)
class Triage:
    text: str
    topics: list[str]
    """Best first; empty when the message is about no first-aid topic."""
    scores: list[float]
    emergency: bool
    """GAWAT stated directly: a danger sign, a topic's GAWAT rule, or an always-emergency topic."""
    danger_signs: list[str]
    urgency: Urgency | None
    question: RedFlagQuestion | None
    """The one question to ask before the first step, when the message leaves it open."""
    general: bool
    """A question for training or prevention: answer with the steps, raise no alarm."""
    grounded: bool = False
    """The content's own words or a red flag are in the message, not only what the classifier
    learned: enough to interrupt a registration ("Rudi" is a name, "kena kail" is not)."""
    concepts: list[str] = field(default_factory=list)
    ruled_out: list[str] = field(default_factory=list)
    rules: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def ask(self) -> list[str]:
        return [self.question.id] if self.question else []

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "topics": self.topics,
            "scores": self.scores,
            "emergency": self.emergency,
            "danger_signs": self.danger_signs,
            "ask": self.ask,
            "urgency": self.urgency.value if self.urgency else None,
            "general": self.general,
            "concepts": self.concepts,
            "ruled_out": self.ruled_out,
        }


@dataclass(frozen=True)
class Explanation:
    """Why a message got its first topic, for people checking the content."""

    keywords: list[str]
    features: list[str]
    rules: list[str]


class Matcher:
    """Built once from the content; `triage(text)` is then pure and fast."""

    def __init__(
        self,
        topics: Mapping[str, Topic],
        vocabulary: Vocabulary,
        examples: Sequence[Example],
        trained: TopicClassifier | None = None,
    ) -> None:
        """Check the rules and train the classifier on `examples`, unless it is given `trained`
        (on these same examples and content, from a cache)."""
        self.topics = topics
        self.finder = ConceptFinder(vocabulary)
        self.keywords = KeywordIndex(topics)
        _check_rules(topics, self.finder)
        unknown = sorted({e.label for e in examples} - {NO_TOPIC, *topics})
        if unknown:
            raise RuleError(f"training messages name unknown topics {unknown}")
        self.classifier = trained or TopicClassifier(
            [
                (self._features(example.text, self.finder.find(example.text)), example.label)
                for example in [*examples, *_topic_examples(topics)]
            ]
        )

    def triage(self, text: str) -> Triage:
        findings = self.finder.find(text)
        keywords = self.keywords.rank(text)
        evidence = self._evidence(keywords, findings)
        chances = self.classifier.probabilities(features(text, findings.present, evidence))
        for suggested in self._suggested(findings):
            chances[suggested] *= SUGGESTED
        for topic in self.topics.values():
            if topic.requires and not any(findings.has(c) for c in topic.requires):
                chances[topic.id] *= UNFIT
        ranked = sorted(chances, key=lambda label: (-chances[label], label))
        guess = CONFIDENT / len(chances)
        unhurt = not self._red_flags(findings) and not findings.has(SOMEONE_HURT)
        about_nothing = (
            ranked[0] == NO_TOPIC
            or (chances[ranked[0]] < guess and not evidence and unhurt)
            or (unhurt and chances[NO_TOPIC] >= NOTHING_CLOSE * chances[ranked[0]])
        )
        topics = [] if about_nothing else [t for t in ranked if t != NO_TOPIC][:MAX_TOPICS]
        plausible = [t for t in topics if chances[t] >= PLAUSIBLE * chances[ranked[0]]]
        confident = [t for t in plausible if chances[t] >= CONFIDENT_RULE]
        if keywords and keywords[0][1] >= STRONG_KEYWORDS:
            confident.append(keywords[0][0])
        assessment = assess(self.topics, plausible, findings, self.finder, confident=confident)
        grounded = bool(evidence) or self._red_flags(findings)
        scores = [round(chances[t], 3) for t in topics]
        return _triage(text, topics, scores, findings, assessment, grounded=grounded)

    def explain(self, text: str, topic_id: str) -> Explanation:
        findings = self.finder.find(text)
        counted = self._features(text, findings)
        assessment = assess(self.topics, [topic_id], findings, self.finder)
        return Explanation(
            keywords=self.keywords.evidence(text, topic_id),
            features=self.classifier.contributions(counted, topic_id, EXPLAINED_FEATURES),
            rules=[f"{t}: {' + '.join(rule)}" for t, rule in assessment.rules],
        )

    def _features(self, text: str, findings: Findings) -> Counter[str]:
        return features(text, findings.present, self._evidence(self.keywords.rank(text), findings))

    def _evidence(self, keywords: list[tuple[str, float]], findings: Findings) -> list[str]:
        """Topics the content's own words point to: keywords first, then suggesting concepts."""
        return [topic for topic, _ in keywords] + self._suggested(findings)

    def _suggested(self, findings: Findings) -> list[str]:
        return [t for c in findings.present for t in self.finder.concepts[c].suggests]

    def _red_flags(self, findings: Findings) -> bool:
        return any(self.finder.concepts[c].role is Role.SIGN for c in findings.present)


def _triage(
    text: str,
    topics: list[str],
    scores: list[float],
    findings: Findings,
    found: Assessment,
    *,
    grounded: bool,
) -> Triage:
    return Triage(
        text=text,
        topics=topics,
        scores=scores,
        emergency=found.emergency,
        danger_signs=found.danger_signs,
        urgency=found.urgency,
        question=found.ask,
        general=found.general,
        grounded=grounded,
        concepts=sorted(findings.present),
        ruled_out=sorted(findings.ruled_out),
        rules=found.rules,
    )


def _topic_examples(topics: Mapping[str, Topic]) -> list[Example]:
    """Each topic's keywords and titles, as examples of messages about it."""
    return [
        Example(text, topic.id)
        for topic in topics.values()
        for text in (
            *topic.keywords,
            *topic.keywords_en,
            topic.title.id,
            topic.title.en,
            topic.short_title.id,
            topic.short_title.en,
        )
    ]


def _check_rules(topics: Mapping[str, Topic], finder: ConceptFinder) -> None:
    for topic in topics.values():
        flags = topic.red_flags
        named = [c for rule in (*flags.gawat, *flags.segera, *flags.calm) for c in rule]
        named += topic.requires
        if flags.ask:
            named += [*flags.ask.flags, *flags.ask.when, *flags.ask.unless]
        unknown = sorted({c.removeprefix("!") for c in named} - finder.concepts.keys())
        if unknown:
            raise RuleError(f"{topic.id}.yaml: red_flags name unknown concepts {unknown}")
    suggested = {t for c in finder.concepts.values() for t in c.suggests}
    if not suggested <= topics.keys():
        raise RuleError(
            f"red_flags.yaml suggests unknown topics {sorted(suggested - topics.keys())}"
        )
