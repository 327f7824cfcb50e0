"""The permission matrix: `bot.domain.access.allowed` cell by cell, every slash command for every
kind of person through the engine, and scope checks on buttons forged or kept beyond their time.

The expectations are written out from the policy in `bot.domain.access` (its docstrings and
comments), never computed with the code under test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app.demo import FISHERMEN_CODE, PLANTATION_CODE, persona_id, seed_demo
from bot.base.models import Channel, Inbound
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.domain.access import Action, allowed
from bot.storage.database import Database
from bot.storage.records import Grant, Group, Role
from content.knowledge import Knowledge
from content.schema import Sector
from handlers import CONVERSATIONS
from handlers.commands import RUNS as COMMANDS
from scheduler.broadcasts import advance_broadcasts
from tests.conftest import START, FakeClock, Person, RowCounter, new_database
from tests.postgres import PostgresServer

TEXTS = Texts.load()
KNOWLEDGE = Knowledge.load()


# -- unit level: `allowed` cell by cell -------------------------------------------------------
def _group(group_id: int, name: str, regency: str, code: str) -> Group:
    return Group(
        id=group_id,
        name=name,
        sector=Sector.FISHING,
        village=name,
        district=name,
        regency=regency,
        puskesmas_name=f"Puskesmas {name}",
        puskesmas_phone=None,
        timezone="Asia/Makassar",
        join_code=code,
    )


GROUP_A = _group(1, "Bontang Kuala", "Kota Bontang", "AAA111")
GROUP_A2 = _group(2, "Tanjung Laut", "Kota Bontang", "AAA222")
"""Another group in A's regency: covered by the regency's officer, not by A's own officer."""
GROUP_B = _group(3, "Sambaliung", "Berau", "BBB333")
GROUPS: dict[str, Group | None] = {"A": GROUP_A, "A2": GROUP_A2, "B": GROUP_B, "none": None}

USER = 10
ROLES: dict[str, list[Grant]] = {
    "worker": [],
    "kader_A": [Grant(1, USER, Role.KADER, GROUP_A.id, None)],
    "officer_A_regency": [Grant(2, USER, Role.OFFICER, None, "Kota Bontang")],
    "officer_A_only": [Grant(3, USER, Role.OFFICER, GROUP_A.id, None)],
    "officer_other_regency": [Grant(4, USER, Role.OFFICER, None, "Berau")],
    "admin": [Grant(5, USER, Role.ADMIN, None, None)],
    "kader_A+officer_other": [
        Grant(6, USER, Role.KADER, GROUP_A.id, None),
        Grant(7, USER, Role.OFFICER, None, "Berau"),
    ],
}

# USE_BOT: everyone. VIEW_GROUPS_IN_SCOPE: officers and admins (a listing; no group to check).
# The group actions: the kader of the group, officers covering it (its regency, or the group
# itself), admins; without a group: anyone who holds one of those roles somewhere.
MATRIX = """
role                   action                 A  A2  B  none
worker                 use_bot                Y  Y   Y  Y
worker                 view_group_members     N  N   N  N
worker                 view_groups_in_scope   N  N   N  N
worker                 manage_activities      N  N   N  N
worker                 handle_incidents       N  N   N  N
worker                 broadcast              N  N   N  N
worker                 link_chat              N  N   N  N
worker                 print_booklet          N  N   N  N
worker                 view_dashboard         N  N   N  N
kader_A                use_bot                Y  Y   Y  Y
kader_A                view_group_members     Y  N   N  Y
kader_A                view_groups_in_scope   N  N   N  N
kader_A                manage_activities      Y  N   N  Y
kader_A                handle_incidents       Y  N   N  Y
kader_A                broadcast              Y  N   N  Y
kader_A                link_chat              Y  N   N  Y
kader_A                print_booklet          Y  N   N  Y
kader_A                view_dashboard         Y  N   N  Y
officer_A_regency      use_bot                Y  Y   Y  Y
officer_A_regency      view_group_members     Y  Y   N  Y
officer_A_regency      view_groups_in_scope   Y  Y   Y  Y
officer_A_regency      manage_activities      Y  Y   N  Y
officer_A_regency      handle_incidents       Y  Y   N  Y
officer_A_regency      broadcast              Y  Y   N  Y
officer_A_regency      link_chat              Y  Y   N  Y
officer_A_regency      print_booklet          Y  Y   N  Y
officer_A_regency      view_dashboard         Y  Y   N  Y
officer_A_only         use_bot                Y  Y   Y  Y
officer_A_only         view_group_members     Y  N   N  Y
officer_A_only         view_groups_in_scope   Y  Y   Y  Y
officer_A_only         manage_activities      Y  N   N  Y
officer_A_only         handle_incidents       Y  N   N  Y
officer_A_only         broadcast              Y  N   N  Y
officer_A_only         link_chat              Y  N   N  Y
officer_A_only         print_booklet          Y  N   N  Y
officer_A_only         view_dashboard         Y  N   N  Y
officer_other_regency  use_bot                Y  Y   Y  Y
officer_other_regency  view_group_members     N  N   Y  Y
officer_other_regency  view_groups_in_scope   Y  Y   Y  Y
officer_other_regency  manage_activities      N  N   Y  Y
officer_other_regency  handle_incidents       N  N   Y  Y
officer_other_regency  broadcast              N  N   Y  Y
officer_other_regency  link_chat              N  N   Y  Y
officer_other_regency  print_booklet          N  N   Y  Y
officer_other_regency  view_dashboard         N  N   Y  Y
admin                  use_bot                Y  Y   Y  Y
admin                  view_group_members     Y  Y   Y  Y
admin                  view_groups_in_scope   Y  Y   Y  Y
admin                  manage_activities      Y  Y   Y  Y
admin                  handle_incidents       Y  Y   Y  Y
admin                  broadcast              Y  Y   Y  Y
admin                  link_chat              Y  Y   Y  Y
admin                  print_booklet          Y  Y   Y  Y
admin                  view_dashboard         Y  Y   Y  Y
kader_A+officer_other  use_bot                Y  Y   Y  Y
kader_A+officer_other  view_group_members     Y  N   Y  Y
kader_A+officer_other  view_groups_in_scope   Y  Y   Y  Y
kader_A+officer_other  manage_activities      Y  N   Y  Y
kader_A+officer_other  handle_incidents       Y  N   Y  Y
kader_A+officer_other  broadcast              Y  N   Y  Y
kader_A+officer_other  link_chat              Y  N   Y  Y
kader_A+officer_other  print_booklet          Y  N   Y  Y
kader_A+officer_other  view_dashboard         Y  N   Y  Y
"""


def _cells() -> Iterator[tuple[str, Action, str, bool]]:
    """(role, action, group, expected) for every cell of `MATRIX`."""
    header, *lines = MATRIX.strip().splitlines()
    places = header.split()[2:]
    for line in lines:
        role, action, *answers = line.split()
        for place, answer in zip(places, answers, strict=True):
            yield role, Action(action), place, answer == "Y"


CELLS = list(_cells())


def test_the_matrix_covers_every_role_action_and_place() -> None:
    covered = {(role, action, place) for role, action, place, _ in CELLS}
    assert len(covered) == len(CELLS), "a cell is written twice"
    assert covered == {(r, a, p) for r in ROLES for a in Action for p in GROUPS}


@pytest.mark.parametrize(
    ("role", "action", "place", "expected"),
    CELLS,
    ids=[f"{role}-{action.value}-{place}" for role, action, place, _ in CELLS],
)
def test_allowed(role: str, action: Action, place: str, expected: bool) -> None:
    assert allowed(ROLES[role], action, GROUPS[place]) is expected


# -- engine level: the world every test starts from -------------------------------------------
ADMIN_REF = "t:admin"
PERSONAS = ("stranger", "budi", "sari", "rahmat", "andi", "admin")
DENIED = "access.denied"
DENIED_ROLE = "access.denied_role"


def ref_of(persona: str) -> str:
    return ADMIN_REF if persona == "admin" else persona_id(persona)


class Paced(Person):
    """Someone who takes a few seconds per message, as people do: never a flood."""

    def inbound(self, message_id: str | None = None, **payload: object) -> Inbound:
        clock = self.engine.clock
        assert isinstance(clock, FakeClock)
        clock.advance(seconds=5)
        return super().inbound(message_id, **payload)


def paced(engine: Engine, persona: str) -> Paced:
    return Paced(engine, ref_of(persona))


async def _build_world(path: Path | str, data_dir: Path) -> None:
    """The demo, plus an admin who registered through the bot (no group) and got the role."""
    database = await Database.open(path)
    try:
        clock = FakeClock()
        await seed_demo(database, clock())
        engine = Engine(
            database, TEXTS, Settings(data_dir=data_dir), KNOWLEDGE, CONVERSATIONS, clock=clock
        )
        await Person(engine, ADMIN_REF).register(name="Admin Dinas", code=None)
        async with database.unit_of_work() as uow:
            admin = await uow.users.by_platform(Channel.TERMINAL, ADMIN_REF)
            assert admin is not None
            await uow.roles.grant(user_id=admin.id, role=Role.ADMIN, granted_by="test", now=START)
    finally:
        await database.close()


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer | None
) -> Path | str:
    """A database to copy for each test: much faster than seeding it every time."""
    folder = tmp_path_factory.mktemp("permissions-world")
    target = new_database(postgres_server, folder)
    asyncio.run(_build_world(target, folder))
    return target


@dataclass
class Bot:
    engine: Engine
    database: Database
    clock: FakeClock
    rows: RowCounter
    data_dir: Path


@pytest.fixture
async def bot(
    world: Path | str, tmp_path: Path, postgres_server: PostgresServer | None
) -> AsyncIterator[Bot]:
    path = new_database(postgres_server, tmp_path, world)
    database = await Database.open(path)
    clock = FakeClock()
    engine = Engine(
        database, TEXTS, Settings(data_dir=tmp_path), KNOWLEDGE, CONVERSATIONS, clock=clock
    )
    yield Bot(engine, database, clock, RowCounter(path), tmp_path)
    await database.close()


def snapshot(database: RowCounter, actor: str) -> dict[str, list[str]]:
    """Every row of every table, except what any message changes: the inbound log, the flood
    guard's counts, and the sender's own conversation, last-seen time and days active."""
    found: dict[str, list[str]] = {}
    sender = {uid for (uid,) in database("SELECT id FROM users WHERE platform_id = ?", actor)}
    for table in database.tables():
        if table in ("inbound_seen", "flood_counts"):
            continue
        rows = []
        for record in database.records(table):
            if table == "sessions" and record["platform_id"] == actor:
                continue
            if table == "activity_days" and record["user_id"] in sender:
                continue
            if table == "users" and record["platform_id"] == actor:
                record["last_seen_at"] = None
            rows.append(repr(sorted(record.items())))
        found[table] = sorted(rows)
    return found


# -- engine level: every slash command for every kind of person -------------------------------
def everyone(key: str) -> dict[str, str]:
    return dict.fromkeys(PERSONAS[1:], key)


REFUSED: dict[str, frozenset[str]] = {
    "anggota": frozenset({"budi"}),  # VIEW_GROUP_MEMBERS: kader, officers, admins
    "siaran": frozenset({"budi"}),  # BROADCAST: kader, officers, admins
    "daftargrup": frozenset({"budi", "sari", "rahmat"}),  # VIEW_GROUPS_IN_SCOPE: officers, admins
    "capaian": frozenset({"budi"}),  # VIEW_GROUP_MEMBERS
    "ringkasan": frozenset({"budi", "sari", "rahmat"}),  # VIEW_GROUPS_IN_SCOPE
    "buku": frozenset({"budi"}),  # PRINT_BOOKLET: kader, officers, admins
    "web": frozenset({"budi"}),  # VIEW_DASHBOARD: kader, officers, admins
}
"""Who is told `access.denied`; every other command is USE_BOT, open to anyone registered."""

OWN_FIRST_REPLY: dict[str, dict[str, str]] = {
    "p3k": everyone("browse.categories"),
    "kartu": everyone("cards.ask_pack"),
    "buku": everyone("booklet.sent"),
    "sos": everyone("sos.ask_place"),
    "lapor": everyone("report.ask_who"),
    "laporan": {**everyone("reports.list"), "budi": "reports.mine_none"},
    "anggota": {
        **everyone("members.list"),
        "andi": "members.officer_hint",
        "admin": "members.no_group",
    },
    "siaran": everyone("broadcast.ask_text"),
    "daftargrup": everyone("groups.list"),
    "capaian": {
        **everyone("recap.achievement"),
        "andi": "recap.for_kader",
        "admin": "recap.for_kader",
    },
    "ringkasan": everyone("recap.with_workbook"),
    "web": everyone("web.link"),
    "grup": {**everyone("group.current"), "andi": "group.none", "admin": "group.none"},
    "kegiatan": everyone("activity.overview"),
    "pergi": everyone("away.ask_days"),
    "kembali": everyone("away.not_away"),
    "bahasa": everyone("language.ask"),
    "datasaya": everyone("my_data.summary"),
    "ubahdata": everyone("profile.pick"),
    "hapusdata": everyone("erase.confirm"),
    "bantuan": everyone("help.intro"),
}
"""The first reply of each command to someone it is for (officers and the admin are in no group)."""

STRANGER_FIRST_REPLY = {"sos": "emergency.card"}
"""Someone not registered is asked to register first, whatever they type; SOS helps at once."""


def expected_first(command: str, persona: str) -> str:
    if persona == "stranger":
        return STRANGER_FIRST_REPLY.get(command, "registration.welcome")
    if persona in REFUSED.get(command, frozenset()):
        return DENIED if persona == "budi" else DENIED_ROLE  # staff are not told "staff only"
    return OWN_FIRST_REPLY[command][persona]


def test_the_tables_cover_every_command() -> None:
    assert set(OWN_FIRST_REPLY) == set(COMMANDS)
    assert set(REFUSED) <= set(COMMANDS)
    for replies in OWN_FIRST_REPLY.values():
        assert set(replies) == set(PERSONAS[1:])


COMMAND_CELLS = [(command, persona) for command in OWN_FIRST_REPLY for persona in PERSONAS]


@pytest.mark.parametrize(
    ("command", "persona"), COMMAND_CELLS, ids=[f"{c}-{p}" for c, p in COMMAND_CELLS]
)
async def test_command(bot: Bot, command: str, persona: str) -> None:
    ref = f"t:stranger-{uuid.uuid4().hex[:8]}" if persona == "stranger" else ref_of(persona)
    who = Person(bot.engine, ref)
    before = snapshot(bot.rows, ref)
    await who.say(f"/{command}")
    expected = expected_first(command, persona)
    assert who.keys[0] == expected, who.keys
    if expected in (DENIED, DENIED_ROLE):
        assert who.keys == [expected, "menu.title"]
        assert snapshot(bot.rows, ref) == before, "a refused command changed nothing"


@pytest.mark.parametrize("persona", PERSONAS[1:])
async def test_every_menu_entry_is_allowed_to_whoever_sees_it(bot: Bot, persona: str) -> None:
    who = paced(bot.engine, persona)
    await who.say("menu")
    entries = [token for token in who.tokens if token.startswith("cmd:")]
    assert entries
    for token in entries:
        await who.say("menu")
        await who.tap(token)
        assert not {DENIED, DENIED_ROLE} & set(who.keys), token
        assert who.keys[0] == OWN_FIRST_REPLY[token.removeprefix("cmd:")][persona], who.keys


# -- engine level: acting on another group's report, by forged or stale buttons ---------------
async def budi_reports(bot: Bot, *, danger: bool = False) -> int:
    """Budi (fishermen group) reports a hook wound; the id of his report. With `danger`, he
    names a danger sign: the report is severe and the officers are alerted too."""
    budi = paced(bot.engine, "budi")
    await budi.say("/lapor")
    answers = (
        "rep:who:self", "L", "42", "usaha sendiri", "kena kail", "rep:body:hand",
        "tadi jam 7", "di perahu", "rep:act:line", "rep:danger:yes" if danger else "tidak",
        "dicuci", "ya", "lewati",
    )  # fmt: skip
    for answer in answers:
        if answer.startswith("rep:"):
            await budi.tap(answer)
        else:
            await budi.say(answer)
    assert budi.keys == ["report.summary"], budi.keys
    await budi.tap("rep:send")
    assert budi.keys[0] == "report.saved", budi.keys
    ((incident_id,),) = bot.rows("SELECT MAX(id) FROM incidents")
    assert isinstance(incident_id, int)
    return incident_id


def offered_to(bot: Bot, ref: str) -> list[str]:
    """The standing offers (buttons of alerts and reminders) someone holds now."""
    rows = bot.rows(
        "SELECT token FROM standing_offers JOIN users ON users.id = standing_offers.user_id"
        " WHERE users.platform_id = ? ORDER BY token",
        ref,
    )
    return [str(token) for (token,) in rows]


async def refused(bot: Bot, who: Person, token: str, key: str) -> None:
    """`who` presses `token`: refused with `key`, and nothing in the database changes."""
    before = snapshot(bot.rows, who.ref)
    await who.tap(token)
    assert who.keys[0] == key, who.keys
    assert snapshot(bot.rows, who.ref) == before


async def test_a_kader_cannot_act_on_another_groups_report_with_the_alerts_buttons(
    bot: Bot,
) -> None:
    incident = await budi_reports(bot)
    sari_buttons = offered_to(bot, persona_id("sari"))
    assert f"inc:{incident}:closed" in sari_buttons, "the alert went to Budi's kader"
    rahmat = paced(bot.engine, "rahmat")
    for token in sari_buttons:
        await refused(bot, rahmat, token, "common.choice_not_offered")
    assert bot.rows("SELECT status FROM incidents WHERE id = ?", incident) == [("open",)]


async def test_a_kader_moved_to_another_group_cannot_use_the_buttons_he_still_holds(
    bot: Bot,
) -> None:
    """Pak Rahmat was kader of the fishermen too when Budi's alert came, then lost that role:
    his buttons are still valid offers, yet the scope is checked again and refuses him."""
    async with bot.database.unit_of_work() as uow:
        rahmat_user = await uow.users.by_platform(Channel.TERMINAL, persona_id("rahmat"))
        fishermen = await uow.groups.by_code(FISHERMEN_CODE)
        assert rahmat_user is not None
        assert fishermen is not None
        grant = await uow.roles.grant(
            user_id=rahmat_user.id,
            role=Role.KADER,
            group_id=fishermen.id,
            granted_by="t",
            now=START,
        )
    incident = await budi_reports(bot)
    held = offered_to(bot, persona_id("rahmat"))
    assert f"inc:{incident}:closed" in held
    async with bot.database.unit_of_work() as uow:
        assert await uow.roles.revoke(grant.id, START)
    rahmat = paced(bot.engine, "rahmat")
    for token in held:
        await refused(bot, rahmat, token, DENIED)
    assert bot.rows("SELECT status FROM incidents WHERE id = ?", incident) == [("open",)]


async def test_an_officer_moved_to_another_regency_cannot_use_an_old_alert(bot: Bot) -> None:
    """An officer of Kota Bontang gets the severe alert, then is moved to Kutai Timur."""
    officer = Paced(bot.engine, "t:officer-moved")
    await officer.register(name="Pak Hendra", code=None)
    async with bot.database.unit_of_work() as uow:
        user = await uow.users.by_platform(Channel.TERMINAL, officer.ref)
        assert user is not None
        grant = await uow.roles.grant(
            user_id=user.id, role=Role.OFFICER, regency="Kota Bontang", granted_by="t", now=START
        )
    await budi_reports(bot, danger=True)
    held = [t for t in offered_to(bot, officer.ref) if t.startswith("inc:")]
    assert held, "the severe report's alert reached the officer"
    async with bot.database.unit_of_work() as uow:
        assert await uow.roles.revoke(grant.id, START)
        await uow.roles.grant(
            user_id=user.id, role=Role.OFFICER, regency="Kutai Timur", granted_by="t", now=START
        )
    for token in held:
        await refused(bot, officer, token, DENIED)


async def test_a_worker_cannot_use_kader_buttons(bot: Bot) -> None:
    incident = await budi_reports(bot)
    budi = paced(bot.engine, "budi")
    for action in ("contacted", "treated", "referred", "closed"):
        await refused(bot, budi, f"inc:{incident}:{action}", "common.choice_not_offered")
    for token in ("cmd:anggota", "cmd:siaran", "cmd:daftargrup", f"rv:{incident}", "rv:export"):
        await refused(bot, budi, token, "common.choice_not_offered")


async def test_a_worker_who_was_kader_cannot_use_the_buttons_he_kept(bot: Bot) -> None:
    """A new worker is briefly made kader of the fishermen, then the role ends."""
    wati = Paced(bot.engine, "t:wati")
    await wati.register(name="Wati", code=FISHERMEN_CODE)
    async with bot.database.unit_of_work() as uow:
        user = await uow.users.by_platform(Channel.TERMINAL, wati.ref)
        fishermen = await uow.groups.by_code(FISHERMEN_CODE)
        assert user is not None
        assert fishermen is not None
        grant = await uow.roles.grant(
            user_id=user.id, role=Role.KADER, group_id=fishermen.id, granted_by="t", now=START
        )
    incident = await budi_reports(bot)
    held = offered_to(bot, wati.ref)
    assert f"inc:{incident}:contacted" in held
    async with bot.database.unit_of_work() as uow:
        assert await uow.roles.revoke(grant.id, START)
    for token in held:
        await refused(bot, wati, token, DENIED)
    await wati.say("/anggota")
    assert wati.keys == [DENIED, "menu.title"]


async def test_a_kader_sees_neither_members_nor_reports_of_another_group(bot: Bot) -> None:
    incident = await budi_reports(bot)
    rahmat = paced(bot.engine, "rahmat")
    await rahmat.say("/anggota")
    assert rahmat.keys == ["members.list", "menu.title"]
    assert PLANTATION_CODE in rahmat.last[0].text
    assert "Budi" not in rahmat.last[0].text
    assert "Bu Sari" not in rahmat.last[0].text
    await rahmat.say("/laporan")
    assert rahmat.keys == ["reports.list"]
    assert f"rv:{incident}" not in rahmat.tokens
    await refused(bot, rahmat, f"rv:{incident}", "common.choice_not_offered")


async def test_a_kader_cannot_steer_another_kaders_broadcast(bot: Bot) -> None:
    wati = Paced(bot.engine, "t:wati")
    await wati.register(name="Wati", code=PLANTATION_CODE)
    rahmat = paced(bot.engine, "rahmat")
    await rahmat.say("/siaran")
    await rahmat.say("Besok kerja bakti jam 7 pagi.")
    await rahmat.tap("bc:nophoto")
    await rahmat.tap("bc:send")
    assert rahmat.keys[0] == "broadcast.queued", rahmat.keys
    queued = await advance_broadcasts(
        bot.database, TEXTS, bot.data_dir, bot.clock(), (Channel.TERMINAL,)
    )
    assert queued == 1, "Wati"
    controls = [t for t in offered_to(bot, persona_id("rahmat")) if t.startswith("bc:")]
    assert controls, "the author holds pause / resume / cancel"
    controls += [t for t in offered_to(bot, wati.ref) if t.startswith("bc:")]
    sari = paced(bot.engine, "sari")
    for token in controls:
        await refused(bot, sari, token, "common.choice_not_offered")
