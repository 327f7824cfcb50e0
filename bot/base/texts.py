"""Every user-facing text, one YAML catalog per language, kept out of code for non-programmers."""

from __future__ import annotations

import string
from collections.abc import Mapping
from importlib import resources
from typing import Any

from content.yaml_file import safe_load

LANGUAGES = ("id", "en")
"""Indonesian is the default and comes first everywhere."""


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in tree.items():
        if not isinstance(name, str):
            # YAML reads bare yes/no/on/off keys as booleans: a silent trap for catalog editors.
            raise ValueError(f"text key {name!r} under {prefix or 'the top'} must be a plain word")
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, str):
            flat[key] = value.strip()
        else:
            raise ValueError(f"text {key!r} must be a string, not {type(value).__name__}")
    return flat


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


class Texts:
    """Catalog lookups by key, e.g. `texts.get("id", "registration.ask_name")`."""

    def __init__(self, catalogs: Mapping[str, Mapping[str, str]]) -> None:
        self.catalogs = catalogs

    @classmethod
    def load(cls) -> Texts:
        folder = resources.files("bot") / "texts"
        catalogs = {
            language: _flatten(safe_load((folder / f"{language}.yaml").read_text("utf-8")))
            for language in LANGUAGES
        }
        return cls(catalogs)

    def get(self, language: str, key: str, **params: object) -> str:
        catalog = self.catalogs.get(language) or self.catalogs[LANGUAGES[0]]
        return catalog[key].format(**params) if params else catalog[key]
