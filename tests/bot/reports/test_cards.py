"""First-aid cards: every topic fits a phone screen in both languages, every word of the topic is
on a card (a second picture rather than a cut), and no text box leaves the picture or covers
another."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

import pytest
from PIL import Image

from bot.base.texts import LANGUAGES, Texts
from bot.reports import cards
from bot.reports.cards import (
    MAX_HEIGHT,
    WIDTH,
    CardText,
    EmergencyNumbers,
    Kind,
    cached_card,
    card_text,
    layout,
)
from content.knowledge import Knowledge
from content.schema import Sector, Topic

MAX_BYTES = 300_000
BONTANG = EmergencyNumbers(
    at_sea=True, puskesmas_name="Puskesmas Bontang Utara", puskesmas_phone="0548 21001"
)


def spaced(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def words_on(pages: list[cards.Page]) -> str:
    return spaced(" ".join(box.text for page in pages for box in page.boxes))


def every_card(knowledge: Knowledge) -> list[tuple[Topic, str, Sector]]:
    """Each topic in each language, once per distinct wording of its steps by trade."""
    found = []
    for topic in knowledge.topics.values():
        wordings = {tuple(s.id for s in topic.steps_for(sector)): sector for sector in Sector}
        found += [(topic, lang, sector) for lang in LANGUAGES for sector in wordings.values()]
    return found


def test_every_card_fits_whole_and_nothing_overlaps(knowledge: Knowledge, texts: Texts) -> None:
    """All topics, both languages, every trade's wording: the boxes measured on each page."""
    for topic, language, sector in every_card(knowledge):
        card = card_text(texts, language, topic, sector, BONTANG)
        pages = layout(card)
        where = f"{topic.id} ({language}, {sector.value})"
        for page in pages:
            assert 0 < page.height <= MAX_HEIGHT, where
            boxes = page.boxes
            for box in boxes:
                assert 0 <= box.left < box.right <= WIDTH, f"{where}: {box}"
                assert 0 <= box.top < box.bottom <= page.height, f"{where}: {box}"
            for one, other in itertools.combinations(boxes, 2):
                assert not one.overlaps(other), f"{where}: {one} covers {other}"
            assert [b.kind for b in boxes][:2] == [Kind.URGENCY, Kind.TITLE], where
        shown = words_on(pages)
        for line in (*card.steps, *card.danger, *card.jangan, card.sources):
            assert spaced(line) in shown, f"{where}: missing {line!r}"
        steps = [b.text for page in pages for b in page.boxes if b.kind is Kind.NUMBER]
        assert steps == [str(n) for n in range(1, len(card.steps) + 1)], where


def test_every_card_is_a_small_phone_sized_png(knowledge: Knowledge, texts: Texts) -> None:
    for topic in knowledge.topics.values():
        for language in LANGUAGES:
            card = card_text(texts, language, topic, topic.sectors[0], BONTANG)
            for picture in cards.render(card):
                image = Image.open(io.BytesIO(picture))
                assert image.format == "PNG"
                assert image.width == WIDTH
                assert image.height <= MAX_HEIGHT
                assert len(picture) < MAX_BYTES, f"{topic.id} ({language}): {len(picture)} bytes"


def test_a_long_topic_goes_on_more_pictures_each_saying_which(
    knowledge: Knowledge, texts: Texts
) -> None:
    card = card_text(texts, "id", knowledge.topics["cpr"], Sector.GENERAL, BONTANG)
    longer = CardText(**{**card.__dict__, "steps": card.steps * 3})
    pages = layout(longer)
    assert len(pages) > len(layout(card)) >= 2
    labels = [b.text for page in pages for b in page.boxes if b.kind is Kind.PAGE]
    assert labels == [f"Kartu {n} dari {len(pages)}" for n in range(1, len(pages) + 1)]
    assert words_on(pages).count(spaced(card.steps[0])) == 3
    continued = [b.text for b in pages[1].boxes if b.kind is Kind.HEADING]
    assert continued[0] == "LAKUKAN INI (lanjutan):"


def test_the_numbers_follow_the_place_and_the_group(knowledge: Knowledge, texts: Texts) -> None:
    topic = knowledge.topics["cut"]
    on_land = card_text(texts, "en", topic, Sector.PLANTATION, EmergencyNumbers(at_sea=False))
    assert [number for number, _ in on_land.numbers] == ["119", "112"]
    assert on_land.steps_heading == "DO THIS:"
    at_sea = card_text(texts, "id", topic, Sector.FISHING, BONTANG)
    assert at_sea.numbers[2:] == (
        ("115", "Basarnas, di laut"),
        ("0548 21001", BONTANG.puskesmas_name),
    )
    shown = words_on(layout(at_sea))
    assert "0548 21001" in shown
    assert "Basarnas" in shown
    assert at_sea.urgency_line.startswith("RAWAT")


def test_a_trade_reads_its_own_steps(knowledge: Knowledge, texts: Texts) -> None:
    topic = next(t for t in knowledge.topics.values() if any(s.sectors for s in t.steps))
    for sector in Sector:
        card = card_text(texts, "id", topic, sector, BONTANG)
        assert card.steps == tuple(s.id for s in topic.steps_for(sector))


def test_cards_are_drawn_once_per_content(
    knowledge: Knowledge, texts: Texts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[str] = []
    render = cards.render

    def counting(card: CardText) -> list[bytes]:
        drawn.append(card.title)
        return render(card)

    monkeypatch.setattr(cards, "render", counting)
    card = card_text(texts, "id", knowledge.topics["fish-hook"], Sector.FISHING, BONTANG)
    first = cached_card(tmp_path, card)
    again = cached_card(tmp_path, card)
    assert first == again
    assert drawn == [card.title]
    assert all(path.is_file() and path.stat().st_size > 1000 for path in first)
    changed = CardText(**{**card.__dict__, "title": "Tertusuk kail"})
    assert cached_card(tmp_path, changed) != first
    assert drawn == [card.title, "Tertusuk kail"]
    first[-1].unlink()  # a page gone from the cache: drawn again, not half read
    assert cached_card(tmp_path, card) == first
    assert len(drawn) == 3
