"""One person on two chat apps, only if they choose: a one-time code from the app where they are
registered, typed and confirmed on the other."""

from __future__ import annotations

import re

from bot.base.models import Channel
from bot.core.engine import Engine
from tests.conftest import FakeClock, Person, RowCounter, person

WHATSAPP_REF = "ID.5550001"


def on_whatsapp(engine: Engine, ref: str = WHATSAPP_REF) -> Person:
    return Person(engine, ref, channel=Channel.WHATSAPP)


async def code_for(someone: Person) -> str:
    await someone.say("/tautkan")
    found = re.search(r"/tautkan ([A-Z0-9]{6})", someone.last[0].text)
    assert found, someone.last[0].text
    return found.group(1)


async def test_a_worker_links_whatsapp_and_is_known_there(engine: Engine, rows: RowCounter) -> None:
    budi = person(engine, "budi")
    code = await code_for(budi)
    phone = on_whatsapp(engine)
    await phone.say(f"/tautkan {code.lower()}")
    assert phone.keys == ["link.confirm"]
    assert "Budi" in phone.last[0].text
    await phone.say("ya")
    assert phone.keys == ["link.done"]
    await phone.say("menu")
    assert phone.keys[-1] == "menu.title", "the WhatsApp identity is Budi now"
    assert rows("SELECT channel, platform_id FROM users WHERE name = 'Budi'") == [
        ("whatsapp", WHATSAPP_REF)
    ], "messages go to the app he wrote from last"
    await budi.say("menu")
    assert budi.keys[-1] == "menu.title"
    assert rows("SELECT channel FROM users WHERE name = 'Budi'") == [("terminal",)]
    assert rows("SELECT COUNT(*) FROM users") == [(4,)], "still one person"
    assert rows("SELECT action FROM audit_log WHERE action = 'identity-link'") == [
        ("identity-link",)
    ]


async def test_a_wrong_expired_or_used_code_links_nothing(
    engine: Engine, clock: FakeClock, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    phone = on_whatsapp(engine)
    await phone.say("/tautkan ZZZ999")
    assert phone.keys == ["link.code_invalid"]
    code = await code_for(budi)
    clock.advance(minutes=16)
    await phone.say(f"/tautkan {code}")
    assert phone.keys == ["link.code_invalid"]
    code = await code_for(budi)
    await phone.say(f"/tautkan {code}")
    await phone.say("ya")
    other = on_whatsapp(engine, "ID.5550002")
    await other.say(f"/tautkan {code}")
    assert other.keys == ["link.code_invalid"], "a code works once"
    assert rows("SELECT COUNT(*) FROM user_identities") == [(1,)]


async def test_a_registered_account_is_never_merged_into_another(
    engine: Engine, rows: RowCounter
) -> None:
    code = await code_for(person(engine, "budi"))
    sari = person(engine, "sari")
    await sari.say(f"/tautkan {code}")
    assert sari.keys[0] == "link.already_registered"
    assert rows("SELECT COUNT(*) FROM user_identities") == [(0,)]


async def test_saying_no_links_nothing(engine: Engine, rows: RowCounter) -> None:
    code = await code_for(person(engine, "budi"))
    phone = on_whatsapp(engine)
    await phone.say(f"/tautkan {code}")
    await phone.say("tidak")
    assert phone.keys == ["link.declined"]
    assert rows("SELECT COUNT(*) FROM user_identities") == [(0,)]
    await phone.say("halo")
    assert phone.keys[0] == "registration.welcome", "still a stranger"


async def test_asking_how_mid_registration_keeps_the_answers_given(engine: Engine) -> None:
    phone = on_whatsapp(engine)
    await phone.say("halo")
    await phone.tap("lang:id")
    await phone.tap("consent:yes")
    await phone.say("/tautkan")
    assert phone.keys == ["link.how", "registration.ask_name"]
