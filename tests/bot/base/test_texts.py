"""The text catalogs: complete in both languages, consistent, and short where buttons need it."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from bot.base.texts import LANGUAGES, Texts, placeholders
from bot.core import commands
from bot.storage.records import Role

ROOT = Path(__file__).resolve().parents[3]
CODE_DIRS = ("bot", "handlers", "scheduler")
WHATSAPP_BUTTON_TITLE = 20
_KEY_LITERAL = re.compile(r"\"([a-z_]+\.[a-z_0-9]+)\"")
_LABEL_KEY = re.compile(r"choice\(\s*[^,()]+,\s*\"([a-z_]+\.[a-z_0-9]+)\"")


def code_sources() -> str:
    """The code, and the dashboard's templates (which name their texts the same way)."""
    paths = [path for folder in CODE_DIRS for path in (ROOT / folder).rglob("*.py")]
    paths += (ROOT / "bot" / "web" / "templates").glob("*.html")
    return "\n".join(path.read_text(encoding="utf-8") for path in paths)


def test_both_languages_have_the_same_keys(texts: Texts) -> None:
    indonesian, english = (set(texts.catalogs[language]) for language in LANGUAGES)
    assert indonesian - english == set(), "missing in English"
    assert english - indonesian == set(), "missing in Indonesian"


def test_placeholders_match_between_languages(texts: Texts) -> None:
    for key, template in texts.catalogs["id"].items():
        assert placeholders(template) == placeholders(texts.catalogs["en"][key]), key


def test_no_text_is_empty(texts: Texts) -> None:
    for language in LANGUAGES:
        assert all(text.strip() for text in texts.catalogs[language].values()), language


def test_every_key_the_code_uses_exists(texts: Texts) -> None:
    sections = {key.split(".")[0] for key in texts.catalogs["id"]}
    used = {
        key
        for key in _KEY_LITERAL.findall(code_sources())
        if key.split(".")[0] in sections and not key.endswith(".html")  # a template's name
    }
    assert used, "the scan found no keys: the pattern is broken"
    assert used - set(texts.catalogs["id"]) == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_button_labels_fit_a_whatsapp_button(texts: Texts, language: str) -> None:
    label_keys = set(_LABEL_KEY.findall(code_sources()))
    label_keys |= {f"language.name_{code}" for code in LANGUAGES}
    label_keys |= {key for role in Role for _, key in commands.main_menu(role)}
    assert len(label_keys) > 10, "the scan found too few labels: the pattern is broken"
    too_long = {
        key: texts.catalogs[language][key]
        for key in label_keys
        if len(texts.catalogs[language][key]) > WHATSAPP_BUTTON_TITLE
    }
    assert too_long == {}


def test_boolean_looking_keys_are_refused(tmp_path: Path) -> None:
    from bot.base.texts import _flatten

    with pytest.raises(ValueError, match="plain word"):
        _flatten({"common": {True: "Ya"}})


_LIST_ITEM = re.compile(r"^\s*(?:[•\-/]|\d+[.)])")


def breaks_inside_sentences(text: str) -> list[str]:
    """Line breaks a phone would show in the middle of a sentence: after a line that is no
    list item and no introduction (":"), the next line goes on in lower case, or words follow
    a line that stopped on a word or a comma. Chat apps wrap text themselves, so a hard break
    there leaves a half-empty line."""
    lines = text.split("\n")
    return [
        f"{before.strip()[-30:]} ⏎ {after.strip()[:30]}"
        for before, after in itertools.pairwise(lines)
        if before.strip()
        and after.strip()
        and after.lstrip()[0].isalpha()
        and not before.rstrip().endswith(":")
        and (after.lstrip()[0].islower() or re.search(r"[a-z,;]$", before.rstrip()))
        and not _LIST_ITEM.match(before)
    ]


def test_the_line_break_check_finds_a_break_inside_a_sentence() -> None:
    assert breaks_inside_sentences("Kami simpan cerita cedera\nyang Anda kirim.") != []
    assert breaks_inside_sentences("Data dihapus;\nHanya jumlahnya tersisa.") != []
    assert breaks_inside_sentences("Hak Anda:\n• /datasaya - lihat data\nAda pertanyaan?") == []
    assert breaks_inside_sentences("🔔 Pengingat\n{title}\n📍 {place}\nAnda datang?") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_breaks_a_line_inside_a_sentence(texts: Texts, language: str) -> None:
    found = {
        key: breaks
        for key, text in texts.catalogs[language].items()
        if (breaks := breaks_inside_sentences(text))
    }
    assert found == {}
