"""The first-aid conversation: free text to a topic, step by step, danger, alternatives, kader."""

from __future__ import annotations

import pytest

from bot.app.demo import FISHERMEN_CODE
from bot.core.engine import Engine
from bot.storage.database import Database
from content.knowledge import Knowledge
from content.schema import Sector
from tests.conftest import Person, RowCounter, person

FALL = "jatuh dari ketinggian"


async def test_free_text_opens_the_topic_at_its_first_step(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("sy kna kail di jari")
    assert budi.keys == ["first_aid.card", "first_aid.what_next"]
    card = budi.last[0].text
    assert card.startswith("✅ RAWAT & PANTAU")
    assert "Langkah 1 dari" in card
    assert "fa:next" in budi.tokens


async def test_step_by_step_to_the_last_step(engine: Engine, knowledge: object) -> None:
    budi = person(engine, "budi")
    await budi.say("kena kail")
    steps = 0
    while "fa:next" in budi.tokens:
        await budi.tap("fa:next")
        steps += 1
        assert budi.keys[0] == "first_aid.step_only"
    assert budi.keys == ["first_aid.step_only", "first_aid.last_step", "first_aid.what_next"]
    assert steps >= 2


async def test_danger_signs_jangan_and_full_card_with_sources(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("disengat ubur2")
    await budi.tap("fa:danger")
    assert budi.keys == ["first_aid.danger", "first_aid.what_next"]
    await budi.say("jangan lakukan")
    assert budi.keys == ["first_aid.jangan", "first_aid.what_next"]
    await budi.tap("fa:full")
    assert budi.keys == ["first_aid.full", "first_aid.what_next"]
    assert "Sumber" in budi.last[0].text
    assert "http" in budi.last[0].text


async def test_emergency_gets_the_card_first_with_numbers(
    engine: Engine, database: Database
) -> None:
    async with database.unit_of_work() as uow:
        group = await uow.groups.by_code(FISHERMEN_CODE)
        assert group is not None
        await uow.groups.set_contacts(
            group.id,
            puskesmas_phone="0548-000000",
            ambulance_phone="0548-119119",
            hospital_name="RSUD Taman Husada",
            hospital_phone=None,
        )
    budi = person(engine, "budi")
    await budi.say("tmn sy digigit ular di tangan")
    assert budi.keys == ["emergency.card", "first_aid.card", "first_aid.what_next"]
    card = budi.last[0].text
    for expected in ("119", "112", "115", "0548-000000", "0548-119119", "RSUD Taman Husada"):
        assert expected in card
    assert budi.last[1].text.startswith("🚨 GAWAT")


async def test_danger_sign_in_an_ordinary_topic_makes_it_gawat(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("disengat tawon, bibirnya bengkak")
    assert budi.keys[0] == "emergency.card"
    assert "bengkak" in budi.last[0].text.lower()


async def test_not_this_offers_other_topics(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("luka tusuk duri ikan bengkak")
    first = budi.last[0].text
    await budi.tap("fa:other")
    assert budi.keys[0] in ("first_aid.alternatives", "first_aid.no_alternatives")
    alternative = next((t for t in budi.tokens if t.startswith("topic:")), None)
    if alternative is not None:
        await budi.tap(alternative)
        assert budi.keys[-2] == "first_aid.card"
        assert budi.last[-2].text != first


async def test_nothing_matched_offers_the_list_and_the_kader(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("qwerty zxcv")
    assert budi.keys == ["first_aid.not_found", "browse.categories"]
    assert "browse:kader" in budi.tokens


async def test_tell_the_kader_writes_an_alert_to_the_outbox(
    engine: Engine, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await budi.say("kena kail di jari")
    await budi.tap("fa:kader")
    assert budi.keys == ["first_aid.kader_told", "menu.title"]
    alerts = rows(
        "SELECT users.name, outbox.kind, outbox.urgent, outbox.payload FROM outbox"
        " JOIN users ON users.id = outbox.user_id"
    )
    assert len(alerts) == 1
    name, kind, urgent, payload = alerts[0]
    assert (name, kind, urgent) == ("Bu Sari", "help_request", 0)
    assert "Budi" in str(payload)
    assert "kena kail di jari" in str(payload)


async def test_a_stranger_in_an_emergency_gets_help_before_registering(
    engine: Engine, rows: RowCounter
) -> None:
    """First aid stores nothing: an unregistered person gets the card, then may register."""
    users = rows.count("users")
    stranger = Person(engine, "stranger")
    await stranger.say("tolong teman sy tidak bernapas")
    assert stranger.keys[0] == "emergency.card"
    assert stranger.keys[-1] == "first_aid.what_next_stranger"
    assert {"fa:register", "fa:next"} <= set(stranger.tokens)
    assert not {"fa:kader", "fa:report"} & set(stranger.tokens)
    assert rows.count("users") == users
    assert "bernapas" not in str(rows("SELECT draft FROM sessions"))
    await stranger.tap("fa:register")
    assert stranger.keys[-1] == "registration.welcome"


async def test_a_newcomer_who_types_an_injury_gets_first_aid_not_the_language_question(
    engine: Engine, rows: RowCounter
) -> None:
    newcomer = Person(engine, "newcomer-hook")
    await newcomer.say("sy kna kail di jari")
    assert newcomer.keys == ["first_aid.card", "first_aid.what_next_stranger"]
    assert "Langkah 1 dari" in newcomer.last[0].text
    assert rows("SELECT * FROM users WHERE platform_id = 'newcomer-hook'") == []
    await newcomer.say("halo")  # not an injury: now registration begins
    assert newcomer.keys[-1] == "registration.welcome"


async def test_an_injury_typed_at_the_phone_step_is_answered_and_the_step_asked_again(
    engine: Engine,
) -> None:
    stranger = Person(engine, "phone-step")
    await stranger.say("/start")
    await stranger.tap("lang:id")
    await stranger.tap("consent:yes")
    await stranger.say("Rudi")
    asked = stranger.keys[-1]
    await stranger.say("sy kna kail di jari")
    assert stranger.keys == ["first_aid.card", asked]
    assert "bukan nomor" not in str([r.text for r in stranger.last])


async def test_a_red_flag_question_comes_before_the_first_step(engine: Engine) -> None:
    """Head injury, nothing said about fainting or vomiting: one yes/no question decides."""
    budi = person(engine, "budi")
    await budi.say("kepala kebentur kayu bagan")
    assert budi.keys == ["first_aid.red_flag"]
    assert "pingsan" in budi.last[0].text
    assert budi.tokens == ["fa:flag:yes", "fa:flag:no"]
    await budi.tap("fa:flag:yes")
    assert budi.keys == ["emergency.card", "first_aid.card", "first_aid.what_next"]
    assert budi.last[1].text.startswith("🚨 GAWAT")


@pytest.mark.parametrize("no", ["tidak", "kada", "ora", "2"])
async def test_no_to_the_red_flag_question_gives_the_steps(engine: Engine, no: str) -> None:
    budi = person(engine, "budi")
    await budi.say("kepala kebentur kayu bagan")
    await budi.say(no)
    assert budi.keys == ["first_aid.card", "first_aid.what_next"]
    assert budi.last[0].text.startswith("⚠️ SEGERA")


async def test_a_description_can_answer_the_red_flag_question(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("kepala kebentur kayu bagan")
    await budi.say("hmm")
    assert budi.keys == ["first_aid.red_flag_again", "first_aid.red_flag"]
    await budi.say("dia muntah 2x barusan")
    assert budi.keys[0] == "emergency.card"


async def test_a_question_for_training_gets_the_steps_without_an_alarm(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("kalau ada jari putus, potongannya ditaruh di es? buat materi pelatihan kader")
    assert budi.keys == ["first_aid.general", "first_aid.what_next"]
    assert "1. " in budi.last[0].text
    await budi.say("APD yg wajib buat tukang semprot apa aja biar ga keracunan")
    assert budi.keys == ["first_aid.general", "first_aid.what_next"]
    assert "mencegah" in budi.last[0].text


@pytest.mark.parametrize("greeting", ["halo", "selamat pagi", "assalamualaikum", "P"])
async def test_a_greeting_opens_the_menu(engine: Engine, greeting: str) -> None:
    budi = person(engine, "budi")
    await budi.say(greeting)
    assert budi.keys == ["menu.greeting", "menu.title"]


async def test_english_speaker_gets_english_content(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("/bahasa")
    await budi.tap("lang:en")
    await budi.say("stung by a jellyfish")
    assert budi.keys[0] == "first_aid.card"
    assert "Step 1 of" in budi.last[0].text


async def test_an_emergency_typed_mid_registration_is_answered_not_taken_as_a_name(
    engine: Engine, rows: RowCounter
) -> None:
    stranger = Person(engine, "mid-registration")
    await stranger.say("/start")
    await stranger.tap("lang:id")
    await stranger.tap("consent:yes")
    await stranger.say("tolong teman sy tidak bernapas")
    assert stranger.keys[0] == "emergency.card"
    assert stranger.keys[-1] == "registration.ask_name"
    assert "first_aid.what_next" not in stranger.keys
    assert rows("SELECT * FROM users WHERE platform_id = 'mid-registration'") == []


async def walk_the_steps(reader: Person) -> list[str]:
    """Every step text the reader is shown, from the topic card to the last step."""
    texts = [next(r.text for r in reader.last if r.key == "first_aid.card")]
    while "fa:next" in reader.tokens:
        await reader.tap("fa:next")
        texts.append(reader.last[0].text)
    return texts


async def reader(engine: Engine, who: str) -> Person:
    if who == "no group":
        newcomer = Person(engine, "newcomer")
        await newcomer.register(name="Yusuf", code=None)
        return newcomer
    return person(engine, who)


@pytest.mark.parametrize(
    ("who", "sector"),
    [("budi", Sector.FISHING), ("rahmat", Sector.PLANTATION), ("no group", Sector.GENERAL)],
)
async def test_steps_are_in_the_words_of_the_readers_trade(
    engine: Engine, knowledge: Knowledge, who: str, sector: Sector
) -> None:
    """The same fall: a fisherman, a harvester and someone without a group see their own steps."""
    topic = knowledge.topics["fall-from-height"]
    expected = [step.id for step in topic.steps_for(sector)]
    others = {step.id for step in topic.steps} - set(expected)
    assert others, "the topic has steps for other trades"
    someone = await reader(engine, who)
    await someone.say(FALL)
    assert someone.keys[:2] == ["emergency.card", "first_aid.card"]
    first_actions = someone.last[0].text
    assert expected[0] in first_actions
    assert not any(step in first_actions for step in others)
    shown = await walk_the_steps(someone)
    assert len(shown) == len(expected)
    for number, (text, step) in enumerate(zip(shown, expected, strict=True), start=1):
        assert f"Langkah {number} dari {len(expected)}" in text
        assert step in text
    await someone.tap("fa:full")
    full = someone.last[0].text
    assert all(step in full for step in expected)
    assert not any(step in full for step in others)


async def test_a_fisherman_is_not_told_about_egrek_nor_a_harvester_about_boats(
    engine: Engine,
) -> None:
    budi, rahmat = person(engine, "budi"), person(engine, "rahmat")
    await budi.say(FALL)
    assert "egrek" not in budi.last[0].text + budi.last[1].text
    await rahmat.say(FALL)
    assert "egrek" in rahmat.last[0].text
    await rahmat.say("digigit ular")
    assert "perahu" not in rahmat.last[0].text + rahmat.last[1].text
    await budi.say("digigit ular")
    assert "115" in budi.last[0].text
