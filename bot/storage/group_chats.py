"""Group chats (a Telegram group) linked to a Pos UKK, and the end of such links."""

from __future__ import annotations

import datetime as dt

from bot.base.clock import from_db, to_db
from bot.base.models import Channel
from bot.storage.records import GroupChat
from bot.storage.sql import Connection, Row

_COLUMNS = "id, group_id, channel, chat_ref, title, language, linked_at"


def _group_chat(row: Row) -> GroupChat:
    return GroupChat(
        id=row["id"],
        group_id=row["group_id"],
        channel=Channel(row["channel"]),
        chat_ref=row["chat_ref"],
        title=row["title"],
        language=row["language"],
        linked_at=from_db(row["linked_at"]),
    )


class GroupChatRepository:
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def link(
        self,
        *,
        group_id: int,
        channel: Channel,
        chat_ref: str,
        title: str,
        language: str,
        linked_by: int,
        now: dt.datetime,
    ) -> GroupChat:
        """Link a chat to a Pos UKK, or link it again after it was unlinked."""
        await self._db.execute(
            "INSERT INTO group_chats"
            " (group_id, channel, chat_ref, title, language, linked_by, linked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, chat_ref) DO UPDATE SET"
            " group_id = excluded.group_id, title = excluded.title,"
            " language = excluded.language, linked_by = excluded.linked_by,"
            " linked_at = excluded.linked_at, unlinked_at = NULL",
            (group_id, channel.value, chat_ref, title, language, linked_by, to_db(now)),
        )
        linked = await self.active(channel, chat_ref)
        assert linked is not None
        return linked

    async def active(self, channel: Channel, chat_ref: str) -> GroupChat | None:
        """The chat's current link, if it has one."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM group_chats"
            " WHERE channel = ? AND chat_ref = ? AND unlinked_at IS NULL",
            (channel.value, chat_ref),
        ) as cursor:
            row = await cursor.fetchone()
        return _group_chat(row) if row else None

    async def of_group(self, group_id: int) -> list[GroupChat]:
        """The chats a Pos UKK is linked to now."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM group_chats WHERE group_id = ? AND unlinked_at IS NULL"
            " ORDER BY id",
            (group_id,),
        ) as cursor:
            return [_group_chat(row) for row in await cursor.fetchall()]

    async def unlink(self, group_chat_id: int, now: dt.datetime, reason: str) -> int:
        """End a link; what was still waiting to be posted there never will be (`reason`).
        Returns how many waiting messages that was."""
        await self._db.execute(
            "UPDATE group_chats SET unlinked_at = ? WHERE id = ? AND unlinked_at IS NULL",
            (to_db(now), group_chat_id),
        )
        cursor = await self._db.execute(
            "UPDATE outbox SET status = 'unreachable', claimed_until = NULL, last_error = ?"
            " WHERE group_chat_id = ? AND status = 'pending'",
            (reason, group_chat_id),
        )
        return cursor.rowcount

    async def get(self, group_chat_id: int) -> GroupChat | None:
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM group_chats WHERE id = ?", (group_chat_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _group_chat(row) if row else None

    async def move(self, channel: Channel, old_ref: str, new_ref: str, now: dt.datetime) -> None:
        """The platform gave the chat a new id (a Telegram group became a supergroup): the link,
        and the posts still waiting, follow it.

        If the new id was linked meanwhile (a kader typed /hubungkan there first), that link
        stands and the old one ends; a link the new id once had and lost is taken up again.
        """
        old = await self.active(channel, old_ref)
        if old is None:
            return
        async with self._db.execute(
            "SELECT id, unlinked_at IS NULL AS active FROM group_chats"
            " WHERE channel = ? AND chat_ref = ?",
            (channel.value, new_ref),
        ) as cursor:
            existing = await cursor.fetchone()
        if existing is None:
            await self._db.execute(
                "UPDATE group_chats SET chat_ref = ? WHERE id = ?", (new_ref, old.id)
            )
            return
        if not existing["active"]:
            await self._db.execute(
                "UPDATE group_chats SET (group_id, title, language, linked_by, linked_at,"
                " unlinked_at) = (SELECT group_id, title, language, linked_by, linked_at, NULL"
                " FROM group_chats WHERE id = ?) WHERE id = ?",
                (old.id, existing["id"]),
            )
            await self._db.execute(
                "UPDATE outbox SET group_chat_id = ?"
                " WHERE group_chat_id = ? AND status = 'pending'",
                (existing["id"], old.id),
            )
        await self.unlink(old.id, now, f"the group chat moved to {new_ref}")
