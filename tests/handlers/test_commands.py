"""Role checks: kader and officer commands are refused to workers, and scope limits what is seen."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from tests.conftest import Person, person


@pytest.mark.parametrize("command", ["/anggota", "/daftargrup"])
async def test_worker_is_refused_kader_and_officer_commands(engine: Engine, command: str) -> None:
    budi = person(engine, "budi")
    await budi.say(command)
    assert budi.keys == ["access.denied", "menu.title"]
    assert "Budi" not in budi.last[0].text


async def test_kader_sees_only_their_group_members(engine: Engine) -> None:
    newcomer = Person(engine, "member-x")
    await newcomer.register(name="Hasan")
    sari = person(engine, "sari")
    await sari.say("/anggota")
    assert sari.keys == ["members.list", "menu.title"]
    listing = sari.last[0].text
    assert "Hasan" in listing
    assert "Budi" in listing
    assert "Pak Rahmat" not in listing


async def test_kader_menu_differs_from_worker_menu(engine: Engine) -> None:
    sari, budi = person(engine, "sari"), person(engine, "budi")
    await sari.say("menu")
    await budi.say("menu")
    assert "cmd:anggota" in sari.tokens
    assert "cmd:anggota" not in budi.tokens
    assert "cmd:daftargrup" not in sari.tokens


async def test_officer_sees_groups_of_their_regencies_only(engine: Engine) -> None:
    andi = person(engine, "andi")
    await andi.say("menu")
    assert "cmd:daftargrup" in andi.tokens
    await andi.tap("cmd:daftargrup")
    assert andi.keys == ["groups.list", "menu.title"]
    assert "BTG7K2" in andi.last[0].text
    assert "BRU4SW" in andi.last[0].text


async def test_help_depends_on_role(engine: Engine) -> None:
    budi, sari = person(engine, "budi"), person(engine, "sari")
    await budi.say("bantuan")
    await sari.say("/help")
    assert budi.keys == ["help.intro", "help.worker", "menu.title"]
    assert sari.keys == ["help.intro", "help.kader", "menu.title"]


async def test_language_switch_changes_every_following_text(engine: Engine) -> None:
    budi = person(engine, "budi")
    await budi.say("/bahasa")
    await budi.say("English")
    assert budi.keys == ["language.changed", "menu.title"]
    assert budi.last[-1].text.startswith("Main menu")
