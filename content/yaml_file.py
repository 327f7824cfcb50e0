"""The bot's YAML files (topics, danger signs, lexicon, texts), parsed by libyaml when PyYAML was
built with it: several times faster at start-up than the pure-Python parser, same results."""

from __future__ import annotations

from typing import Any

import yaml

try:
    _LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml
    _LOADER = yaml.SafeLoader


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, through the fastest safe loader available."""
    return yaml.load(text, Loader=_LOADER)
