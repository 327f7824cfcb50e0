"""Role checks: kader and officer commands are refused to workers, and scope limits what is seen."""

from __future__ import annotations

import pytest

from bot.core import commands
from bot.core.engine import Engine
from bot.storage.records import Role
from handlers.commands import RUNS
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


ENGINE_COMMANDS = frozenset({"start", "menu", "batal", "tautkan"})
"""Run by the engine itself: they change the conversation, not just start a flow."""


def test_every_command_of_the_table_does_something_and_nothing_else_is_a_command() -> None:
    private = {c.name for c in commands.TABLE if c.where & commands.Where.PRIVATE}
    assert set(RUNS) | ENGINE_COMMANDS == private
    assert not set(RUNS) & ENGINE_COMMANDS


@pytest.mark.parametrize(
    ("typed", "private", "group_chat"),
    [
        ("/link", ("tautkan", ""), ("hubungkan", "")),
        ("/link@PosUkkBot ABC123", ("tautkan", "ABC123"), ("hubungkan", "ABC123")),
        ("/unlink", ("unlink", ""), ("lepaskan", "")),
        ("/help", ("bantuan", ""), ("bantuan", "")),
        ("/tolong", ("sos", ""), ("sos", "")),
        ("/lapor", ("lapor", ""), ("lapor", "")),
        ("/cuaca", ("cuaca", ""), None),
    ],
)
def test_a_name_means_what_the_table_says_where_it_is_typed(
    typed: str, private: tuple[str, str], group_chat: tuple[str, str] | None
) -> None:
    assert commands.parse(typed) == private
    assert commands.group_chat_command(typed) == group_chat


def test_menus_come_from_the_table() -> None:
    assert [name for name, _ in commands.platform_menu()][:2] == ["start", "menu"]
    assert [name for name, _ in commands.platform_menu()][-1] == "batal"
    assert [name for name, _ in commands.group_chat_menu()] == ["hubungkan", "lepaskan", "bantuan"]
    kader = {name for name, _ in commands.main_menu(Role.KADER)}
    assert {"anggota", "capaian"} <= kader
    assert "daftargrup" not in kader
