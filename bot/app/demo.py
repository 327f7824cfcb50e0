"""Demo data for the terminal chat: two groups, two kader, a worker and an officer."""

from __future__ import annotations

import datetime as dt

from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.consent import consent_version
from bot.storage.database import Database
from bot.storage.records import NewGroup, Role
from content.schema import Sector

DEMO_ACTOR = "demo-seed"

FISHERMEN = NewGroup(
    name="Nelayan Bontang Kuala",
    sector=Sector.FISHING,
    village="Bontang Kuala",
    district="Bontang Utara",
    regency="Kota Bontang",
    puskesmas_name="Puskesmas Bontang Utara",
    puskesmas_phone=None,
    timezone="Asia/Makassar",
)
PLANTATION = NewGroup(
    name="Pekerja Sawit Sambaliung",
    sector=Sector.PLANTATION,
    village="Sambaliung",
    district="Sambaliung",
    regency="Berau",
    puskesmas_name="Puskesmas Sambaliung",
    puskesmas_phone=None,
    timezone="Asia/Makassar",
)
FISHERMEN_CODE, PLANTATION_CODE = "BTG7K2", "BRU4SW"

# persona -> (display name, group code or None, role or None)
PERSONAS: dict[str, tuple[str, str | None, Role | None]] = {
    "sari": ("Bu Sari", FISHERMEN_CODE, Role.KADER),
    "budi": ("Budi", FISHERMEN_CODE, None),
    "rahmat": ("Pak Rahmat", PLANTATION_CODE, Role.KADER),
    "andi": ("Pak Andi", None, Role.OFFICER),
}


def persona_id(persona: str) -> str:
    return f"demo:{persona}"


async def seed_demo(database: Database, now: dt.datetime) -> bool:
    """Fill an empty database with the demo; returns False if it already holds groups."""
    async with database.unit_of_work() as uow:
        if await uow.groups.all():
            return False
        fishermen = await uow.groups.create(FISHERMEN, now, join_code=FISHERMEN_CODE)
        plantation = await uow.groups.create(PLANTATION, now, join_code=PLANTATION_CODE)
        groups = {FISHERMEN_CODE: fishermen, PLANTATION_CODE: plantation}
        agreed = consent_version(Texts.load(), Settings())
        for persona, (name, code, role) in PERSONAS.items():
            user = await uow.users.create(
                channel=Channel.TERMINAL,
                platform_id=persona_id(persona),
                name=name,
                language="id",
                consent_version=agreed,
                now=now,
            )
            if code is not None:
                await uow.memberships.join(user.id, groups[code].id, now)
            if role is Role.KADER and code is not None:
                await uow.roles.grant(
                    user_id=user.id,
                    role=role,
                    group_id=groups[code].id,
                    granted_by=DEMO_ACTOR,
                    now=now,
                )
            elif role is Role.OFFICER:
                for regency in (FISHERMEN.regency, PLANTATION.regency):
                    await uow.roles.grant(
                        user_id=user.id, role=role, regency=regency, granted_by=DEMO_ACTOR, now=now
                    )
    return True
