"""Cards saved on the phone and the booklet for the box, through the engine: "Simpan kartu" under
an answer, `/kartu` packs by the group's trade, the sea-pack offer when going to sea (once a
month, never to someone who saved it), and `/buku` for kader and officers."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from bot.app.demo import PLANTATION_CODE
from bot.base.models import Reply
from bot.core.engine import Engine
from content.knowledge import Knowledge
from tests.conftest import FakeClock, Person, RowCounter, person


def pictures(replies: list[Reply]) -> list[Reply]:
    return [reply for reply in replies if reply.photo]


def titles(replies: list[Reply]) -> set[str]:
    """The topics of the cards sent ("Gigitan ular (2/3)" is a card of "Gigitan ular")."""
    return {re.sub(r" \(\d+/\d+\)$", "", reply.text) for reply in pictures(replies)}


def assert_card_pictures(replies: list[Reply]) -> None:
    for reply in replies:
        assert reply.caption
        assert reply.photo is not None
        with Image.open(reply.photo) as image:
            assert image.format == "PNG"
            assert image.width == 1080
        assert Path(reply.photo).stat().st_size < 300_000


async def test_save_card_under_a_first_aid_answer_sends_the_picture(
    engine: Engine, knowledge: Knowledge
) -> None:
    budi = person(engine, "budi")
    await budi.say("kena kail di jari")
    assert "fa:card" in budi.tokens
    await budi.tap("fa:card")
    title = knowledge.topics["fish-hook"].title.id
    sent = pictures(budi.last)
    assert budi.keys[0] == "cards.intro"
    assert budi.keys[-1] == "first_aid.what_next", "the answer goes on"
    assert len(sent) >= 1
    assert_card_pictures(sent)
    expected = [title] if len(sent) == 1 else [f"{title} (1/{len(sent)})", f"{title} (2/2)"]
    assert [reply.text for reply in sent] == expected
    again = pictures(await budi.tap("fa:card"))
    assert [r.photo for r in again] == [r.photo for r in sent], "kept by content, drawn once"


async def test_a_stranger_can_save_a_card_too(engine: Engine) -> None:
    stranger = Person(engine, "demo:nobody")
    await stranger.say("tersengat ubur ubur")
    await stranger.tap("fa:card")
    assert_card_pictures(pictures(stranger.last))


async def test_kartu_offers_the_groups_pack_first_and_sends_it(
    engine: Engine, knowledge: Knowledge, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say("/kartu")
    assert budi.keys == ["cards.ask_pack"]
    assert budi.tokens == ["pack:laut", "pack:kebun"]
    await budi.say("ubur")
    assert budi.keys == ["common.pick_option", "cards.ask_pack"], "a wrong answer: asked again"
    await budi.tap("pack:laut")
    sea = knowledge.packs["laut"]
    assert budi.keys[0] == "cards.pack_intro"
    assert budi.keys[-1] == "menu.title"
    sent = pictures(budi.last)
    assert titles(budi.last) == {knowledge.topics[t].title.id for t in sea.topics}
    assert_card_pictures(sent)
    assert rows("SELECT pack FROM card_packs WHERE saved_at IS NOT NULL") == [("laut",)]


async def test_a_plantation_worker_sees_the_plantation_pack_first(engine: Engine) -> None:
    yanti = Person(engine, "demo:yanti")
    await yanti.register("Yanti", code=PLANTATION_CODE)
    await yanti.say("/kartu")
    assert yanti.tokens == ["pack:kebun", "pack:laut"]
    await yanti.say("Paket kebun sawit")
    assert yanti.keys[0] == "cards.pack_intro"
    assert "Tertusuk duri sawit" in titles(yanti.last)
    await yanti.say("/kartu laut")
    assert yanti.keys[0] == "cards.pack_intro", "a pack named: no question"
    assert "Tertusuk kail / mata pancing" in titles(yanti.last)


async def test_going_to_sea_offers_the_sea_pack_once_a_month(
    engine: Engine, clock: FakeClock, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say("sy melaut 3 hari")
    await budi.say("ya")
    assert budi.keys == ["away.set", "cards.offer_sea"]
    await budi.say("tidak")
    assert budi.keys == ["cards.offer_later", "menu.title"]
    clock.advance(days=10)
    await budi.say("/pergi 2")
    await budi.tap("away:yes")
    assert budi.keys == ["away.set", "menu.title"], "offered ten days ago"
    clock.advance(days=21)
    await budi.say("/pergi 2")
    await budi.tap("away:yes")
    assert budi.keys == ["away.set", "cards.offer_sea"], "a month later: again"
    await budi.say("apa")
    assert budi.keys == ["common.pick_yes_no", "cards.offer_sea"]
    await budi.tap("away:pack:yes")
    assert budi.keys[0] == "cards.pack_intro"
    assert len(pictures(budi.last)) >= 12
    clock.advance(days=40)
    await budi.say("melaut 2 hari")
    await budi.say("ya")
    assert budi.keys == ["away.set", "menu.title"], "saved: never offered again"
    assert rows("SELECT COUNT(*) FROM card_packs") == [(1,)]


async def test_a_plantation_worker_going_home_is_not_offered_the_sea_pack(engine: Engine) -> None:
    yanti = Person(engine, "demo:yanti")
    await yanti.register("Yanti", code=PLANTATION_CODE)
    await yanti.say("mudik 5 hari")
    await yanti.say("ya")
    assert yanti.keys == ["away.set", "menu.title"]


async def test_buku_gives_a_kader_the_groups_booklet(
    engine: Engine, knowledge: Knowledge, db_path: Path
) -> None:
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE pos_groups SET puskesmas_phone = '0548 21001'")
    sari = person(engine, "sari")
    await sari.say("/buku")
    (reply, *_) = sari.last
    assert reply.key == "booklet.sent"
    assert reply.document is not None
    assert reply.document.endswith(".pdf")
    pdf = PdfReader(reply.document)
    fishers = [t for t in knowledge.topics.values() if "nelayan" in t.sectors]
    assert len(pdf.pages) == 1 + 2 + len(fishers) + 1  # cover, contents, topics, back
    cover = pdf.pages[0].extract_text()
    assert "Nelayan Bontang Kuala" in cover
    assert "0548 21001" in cover
    assert "115" in cover


async def test_buku_is_not_for_workers_and_asks_again_on_a_wrong_word(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("/buku")
    assert budi.keys[0] == "access.denied"
    andi = person(engine, "andi")
    await andi.say("/buku ikan")
    assert andi.keys[0] == "booklet.which"
    await andi.say("/buku sawit")
    assert andi.last[0].document is not None
    text = PdfReader(andi.last[0].document).pages[0].extract_text()
    assert "sawit" in text
