"""Pos UKK groups and their join codes."""

from __future__ import annotations

import datetime as dt
import secrets

from bot.base.clock import to_db
from bot.storage.records import Group, NewGroup
from bot.storage.sql import Connection, Row
from content.schema import Sector

# No 0/O, 1/I/L: codes are read aloud and copied from paper.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6

_COLUMNS = (
    "id, name, sector, village, district, regency, puskesmas_name, puskesmas_phone, timezone,"
    " join_code, ambulance_phone, hospital_name, hospital_phone"
)


_STORED_AS = {Sector.GENERAL: "lainnya"}
"""A group of another trade is `lainnya` in the database (migration 0001's check)."""
_READ_AS = {stored: sector for sector, stored in _STORED_AS.items()}


def stored_sector(sector: Sector) -> str:
    return _STORED_AS.get(sector, sector.value)


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(text: str) -> str:
    """Codes are typed in any case, with stray spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _group(row: Row) -> Group:
    return Group(
        id=row["id"],
        name=row["name"],
        sector=_READ_AS.get(row["sector"]) or Sector(row["sector"]),
        village=row["village"],
        district=row["district"],
        regency=row["regency"],
        puskesmas_name=row["puskesmas_name"],
        puskesmas_phone=row["puskesmas_phone"],
        timezone=row["timezone"],
        join_code=row["join_code"],
        ambulance_phone=row["ambulance_phone"],
        hospital_name=row["hospital_name"],
        hospital_phone=row["hospital_phone"],
    )


class GroupRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def create(
        self, group: NewGroup, now: dt.datetime, join_code: str | None = None
    ) -> Group:
        code = join_code or await self._unused_code()
        new_id = await self._db.insert(
            "INSERT INTO pos_groups (name, sector, village, district, regency, puskesmas_name,"
            " puskesmas_phone, timezone, join_code, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                group.name,
                stored_sector(group.sector),
                group.village,
                group.district,
                group.regency,
                group.puskesmas_name,
                group.puskesmas_phone,
                group.timezone,
                code,
                to_db(now),
            ),
        )
        created = await self.get(new_id)
        assert created is not None
        return created

    async def _unused_code(self) -> str:
        while True:
            code = new_join_code()
            if await self.by_code(code) is None:
                return code

    async def set_contacts(
        self,
        group_id: int,
        *,
        puskesmas_phone: str | None,
        ambulance_phone: str | None,
        hospital_name: str | None,
        hospital_phone: str | None,
    ) -> None:
        """Replace the group's local emergency numbers (None clears one)."""
        await self._db.execute(
            "UPDATE pos_groups SET puskesmas_phone = ?, ambulance_phone = ?, hospital_name = ?,"
            " hospital_phone = ? WHERE id = ?",
            (puskesmas_phone, ambulance_phone, hospital_name, hospital_phone, group_id),
        )

    async def get(self, group_id: int) -> Group | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM pos_groups WHERE id = ?", (group_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _group(row) if row else None

    async def by_code(self, code: str) -> Group | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM pos_groups WHERE join_code = ?", (normalise_join_code(code),)
        ) as cursor:
            row = await cursor.fetchone()
        return _group(row) if row else None

    async def all(self) -> list[Group]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM pos_groups ORDER BY regency, name"
        ) as cursor:
            return [_group(row) for row in await cursor.fetchall()]

    async def in_regency(self, regency: str) -> list[Group]:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM pos_groups WHERE regency = ? ORDER BY name", (regency,)
        ) as cursor:
            return [_group(row) for row in await cursor.fetchall()]
