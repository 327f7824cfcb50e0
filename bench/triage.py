"""`python -m bench.triage`: time per message of the first-aid matcher, and content load time.

The matcher runs over the labelled messages of tests/data (as workers type them) and over long
inputs up to the longest text a platform delivers. It is timed cold (a fresh matcher with empty
caches, built as after a restart) and warm (the same messages again); the baseline is the text
normalisation every message goes through anyway (`content_words`). Start-up is timed against
parsing the same YAML files with the pure-Python `yaml.safe_load`, and with libyaml's
`CSafeLoader`, which the code uses where it is installed (content/yaml_file.py).
"""

from __future__ import annotations

import gc
import random
import string
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import yaml

from bench.results import Figure, percentile, report
from bench.timing import ratio, spread
from bot.base.models import MAX_TEXT_CHARS
from bot.base.texts import LANGUAGES, Texts
from content.concepts import RED_FLAGS_FILE, load_vocabulary
from content.evaluation import load_cases
from content.knowledge import Knowledge, load_examples
from content.loader import TOPICS_DIR, load_topics
from content.matcher import Matcher
from content.normalise import clear_caches, content_words

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
MESSAGE_SETS = ("triage_dev.jsonl", "triage_holdout.jsonl", "field_messages.tsv")
TEXTS_DIR = Path(__file__).resolve().parents[1] / "bot" / "texts"
GOAL_MS = 1.0
COLD_ROUNDS = 5
"""Fresh matchers, each timing every message once (in a new order)."""
WARM_ROUNDS = 5
"""Passes over the messages with the last matcher, its correction caches filled."""
LOAD_ROUNDS = 5
SEED = 11


def realistic_messages() -> list[str]:
    return [case.text for name in MESSAGE_SETS for case in load_cases(DATA / name)]


def long_inputs(rng: random.Random, messages: Sequence[str]) -> dict[str, str]:
    """Inputs of the longest length a platform delivers; new random words on every call."""
    letters = string.ascii_lowercase

    def fill(piece: Callable[[], str]) -> str:
        text = ""
        while len(text) < MAX_TEXT_CHARS:
            text += piece() + " "
        return text[:MAX_TEXT_CHARS]

    return {
        "messages run together": fill(lambda: rng.choice(messages)),
        "unknown words": fill(lambda: "".join(rng.choices(letters, k=rng.randint(6, 12)))),
        "one long word": "".join(rng.choices(letters, k=MAX_TEXT_CHARS)),
        "garbage": "".join(rng.choices(string.printable + "🙏😭🔥é", k=MAX_TEXT_CHARS)),
    }


def timed_ms(work: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    work()
    return (time.perf_counter_ns() - start) / 1e6


def side_by_side(rounds: int, operations: Mapping[str, Callable[[], object]]) -> dict[str, float]:
    """The median time of each operation over `rounds`, taken in turn so that a busy moment of
    the machine weighs on all of them alike; each starts with the stemmer's cache empty and the
    garbage of the one before collected."""
    samples: dict[str, list[float]] = {name: [] for name in operations}
    for _ in range(rounds):
        for name, work in operations.items():
            clear_caches()
            gc.collect()
            samples[name].append(timed_ms(work))
    return {name: percentile(values, 0.5) for name, values in samples.items()}


def parse_all(
    paths: Sequence[Path], loader: type[yaml.SafeLoader | yaml.CSafeLoader] = yaml.SafeLoader
) -> None:
    for path in paths:
        yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def measure_matcher(messages: list[str]) -> tuple[list[Figure], dict[str, object]]:
    """Each message timed through the matcher right after its normalisation alone."""
    rng = random.Random(SEED)
    topics, vocabulary, examples = load_topics(), load_vocabulary(), load_examples()
    cold: list[float] = []
    baseline: list[float] = []
    long: dict[str, list[float]] = {}
    matcher = Matcher(topics, vocabulary, examples)
    for _ in range(COLD_ROUNDS):
        # As after a restart: caches empty, then the matcher built (which reads the training
        # messages and so meets their words first).
        clear_caches()
        matcher = Matcher(topics, vocabulary, examples)
        for text in rng.sample(messages, len(messages)):
            baseline.append(timed_ms(partial(content_words, text)))
            cold.append(timed_ms(partial(matcher.triage, text)))
        for kind, text in long_inputs(rng, messages).items():
            long.setdefault(kind, []).append(timed_ms(partial(matcher.triage, text)))
    warm = [
        timed_ms(partial(matcher.triage, text)) for _ in range(WARM_ROUNDS) for text in messages
    ]
    figures = [
        *spread("matcher, first time", cold, GOAL_MS),
        *spread("matcher, again", warm, GOAL_MS),
        *spread("normalisation alone", baseline),
        ratio("matcher / normalisation p50", percentile(cold, 0.5), percentile(baseline, 0.5)),
        ratio("matcher / normalisation p99", percentile(cold, 0.99), percentile(baseline, 0.99)),
        Figure("4096 chars, worst", max(max(samples) for samples in long.values()), "ms"),
    ]
    details: dict[str, object] = {
        "messages": len(messages),
        "cold_rounds": COLD_ROUNDS,
        "warm_rounds": WARM_ROUNDS,
        "longest_message_chars": max(map(len, messages)),
        "long_inputs_ms_max": {kind: round(max(samples), 3) for kind, samples in long.items()},
    }
    return figures, details


def measure_loading() -> tuple[list[Figure], dict[str, object]]:
    knowledge_files = [*sorted(TOPICS_DIR.glob("*.yaml")), RED_FLAGS_FILE]
    text_files = [TEXTS_DIR / f"{language}.yaml" for language in LANGUAGES]
    median = side_by_side(
        LOAD_ROUNDS,
        {
            "knowledge": Knowledge.build,  # not `load`: it is built once per process
            "knowledge_safe_load": partial(parse_all, knowledge_files),
            "knowledge_csafe_load": partial(parse_all, knowledge_files, yaml.CSafeLoader),
            "texts": Texts.load,
            "texts_safe_load": partial(parse_all, text_files),
        },
    )
    figures = [
        Figure("Knowledge.load()", median["knowledge"], "ms"),
        ratio("Knowledge.load() / safe_load", median["knowledge"], median["knowledge_safe_load"]),
        Figure("Texts.load()", median["texts"], "ms"),
        ratio("Texts.load() / safe_load", median["texts"], median["texts_safe_load"]),
        ratio(
            "content YAML: CSafeLoader / safe_load",
            median["knowledge_csafe_load"],
            median["knowledge_safe_load"],
        ),
    ]
    details: dict[str, object] = {
        "load_rounds": LOAD_ROUNDS,
        "knowledge_files": len(knowledge_files),
        **{f"{name}_ms": round(value, 3) for name, value in median.items()},
    }
    return figures, details


def main() -> None:
    matcher_figures, matcher_details = measure_matcher(realistic_messages())
    load_figures, load_details = measure_loading()
    report("triage", matcher_figures + load_figures, matcher_details | load_details)


if __name__ == "__main__":
    main()
