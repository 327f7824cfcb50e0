"""Load and validate every topic file; any problem names the file it came from."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from content.schema import Topic, Urgency
from content.yaml_file import safe_load

TOPICS_DIR = Path(__file__).parent / "topics"


class ContentError(Exception):
    """A topic file is missing, malformed or inconsistent with the others."""


def load_topic(path: Path) -> Topic:
    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContentError(f"{path.name}: expected a mapping at the top level")
    try:
        topic = Topic.model_validate(raw)
    except ValidationError as exc:
        raise ContentError(f"{path.name}: {exc}") from exc
    if path.stem != topic.id:
        raise ContentError(f"{path.name}: file name must be the topic id {topic.id!r}")
    if topic.always_emergency and topic.urgency is not Urgency.GAWAT:
        raise ContentError(f"{path.name}: an always-emergency topic must have urgency gawat")
    return topic


def load_topics(directory: Path = TOPICS_DIR) -> Mapping[str, Topic]:
    """Every topic in `directory`, keyed by id, with cross-references checked."""
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise ContentError(f"no topic files in {directory}")
    topics = {topic.id: topic for topic in map(load_topic, paths)}
    for topic in topics.values():
        unknown = [ref for ref in topic.related if ref not in topics]
        if unknown:
            raise ContentError(f"{topic.id}.yaml: unknown related topic ids {unknown}")
        if topic.id in topic.related:
            raise ContentError(f"{topic.id}.yaml: a topic cannot be related to itself")
    return topics


if __name__ == "__main__":
    import sys

    try:
        loaded = load_topics(Path(sys.argv[1]) if len(sys.argv) > 1 else TOPICS_DIR)
    except ContentError as error:
        sys.exit(f"invalid: {error}")
    print(f"ok: {len(loaded)} topics")
