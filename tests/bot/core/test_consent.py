"""The consent text and its version move together: a changed text needs a new version, so that
everyone is asked again and the words each person agreed to can be found."""

from __future__ import annotations

import hashlib

from bot.base.texts import LANGUAGES, Texts

AGREED_WORDS = {
    "2026-11-2": "b0be56e6d1a528aab0d49bc5dd6a35ea9c3d3fac4e77620573f4072e6a89cd07",
}
"""SHA-256 of the words of the Indonesian and English consent texts of each version. After
changing the words, give `consent.version` a new value in both catalogs and add its line here.
Where a line breaks is layout, not meaning: reflowing the text asks no one again."""


def fingerprint(texts: Texts) -> str:
    text = "\n".join(texts.catalogs[language]["registration.consent"] for language in LANGUAGES)
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def test_both_languages_name_the_same_version() -> None:
    texts = Texts.load()
    assert len({texts.get(language, "consent.version") for language in LANGUAGES}) == 1


def test_the_consent_text_has_not_changed_without_a_new_version() -> None:
    texts = Texts.load()
    version = texts.get(LANGUAGES[0], "consent.version")
    assert version in AGREED_WORDS, f"add version {version} and its fingerprint to AGREED_WORDS"
    assert fingerprint(texts) == AGREED_WORDS[version], (
        "the consent text changed: give consent.version a new value (everyone will be asked "
        f"again) and record {fingerprint(texts)} for it"
    )


def test_the_consent_text_names_the_rights_and_the_retention_period() -> None:
    texts = Texts.load()
    for language in LANGUAGES:
        words = texts.get(language, "registration.consent", years=5)
        for command in ("/datasaya", "/ubahdata", "/hapusdata"):
            assert command in words
        assert "UU 27/2022" in words
        assert " 5 " in words
