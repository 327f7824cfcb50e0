"""Plain records the repositories return; they carry data, never a connection."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.base.models import Channel
from content.schema import Sector


class Role(StrEnum):
    WORKER = "worker"
    KADER = "kader"
    OFFICER = "officer"
    ADMIN = "admin"


@dataclass(frozen=True)
class User:
    id: int
    channel: Channel
    platform_id: str
    name: str
    phone: str | None
    language: str
    consent_version: str
    consent_at: dt.datetime
    created_at: dt.datetime


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    sector: Sector
    village: str
    district: str
    regency: str
    puskesmas_name: str
    puskesmas_phone: str | None
    timezone: str
    join_code: str
    ambulance_phone: str | None = None
    hospital_name: str | None = None
    hospital_phone: str | None = None


@dataclass(frozen=True)
class NewGroup:
    name: str
    sector: Sector
    village: str
    district: str
    regency: str
    puskesmas_name: str
    puskesmas_phone: str | None
    timezone: str


@dataclass(frozen=True)
class Grant:
    """A role held by a user: kader of one group, officer of a regency or of one group, or admin."""

    id: int
    user_id: int
    role: Role
    group_id: int | None
    regency: str | None


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    joined_at: dt.datetime


@dataclass
class Session:
    """Where one person is in a conversation; `draft` holds answers given so far."""

    flow: str
    step: str
    language: str
    draft: dict[str, Any]
    offered: list[dict[str, str]]
    updated_at: dt.datetime


@dataclass(frozen=True)
class OutboxMessage:
    """A claimed outbox row, addressed to a person (`user_id`) or to a group chat."""

    id: int
    user_id: int | None
    channel: Channel
    platform_id: str
    payload: str
    attempts: int
    urgent: bool = False
    bulk: bool = False
    """Part of a broadcast: sent after everything else, leaving room for direct replies."""
    kind: str = ""
    language: str = "id"
    last_seen_at: dt.datetime | None = None
    """When the recipient last wrote to the bot (WhatsApp's 24-hour window opens then)."""
    timezone: str = "UTC"
    """The recipient's (their group's, else the default); the claim always sets it."""
    away_until: dt.datetime | None = None
    group_chat_id: int | None = None
    template_only: bool = False
    """The platform refused it as free text once (window closed): send it as a template."""
    claimed_until: dt.datetime | None = None
    """The claim's lease: after it, the row may be claimed again (by another process)."""


@dataclass(frozen=True)
class SentMark:
    """The platform accepted an outbox row's message at `at` (with its id for it, if any)."""

    message_id: int
    at: dt.datetime
    platform_message_id: str | None = None


@dataclass(frozen=True)
class GroupChat:
    """A chat-app group (a Telegram group) linked to a Pos UKK, where its reminders and
    broadcasts are also posted."""

    id: int
    group_id: int
    channel: Channel
    chat_ref: str
    title: str
    language: str
    linked_at: dt.datetime
