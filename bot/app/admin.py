"""`posukk admin`: create groups, list them with their join codes, and grant or revoke roles."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.app.errors import CommandError
from bot.app.qr_poster import write_qr_poster
from bot.base.clock import utc_now
from bot.base.settings import Settings
from bot.domain.joinlinks import join_link, whatsapp_join_link
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Group, NewGroup, Role
from content.schema import Sector

ADMIN_ACTOR = "admin-cli"


class AdminError(CommandError):
    """A command-line request that cannot be carried out; the message says why."""


async def admin_command(settings: Settings, args: argparse.Namespace) -> None:
    database = await Database.open(settings.database_at(args.db))
    try:
        await run_admin(
            database,
            args,
            sys.stdout,
            settings.telegram_bot_username,
            settings.default_timezone,
            settings.whatsapp_number,
        )
    finally:
        await database.close()


async def run_admin(
    database: Database,
    args: argparse.Namespace,
    out: TextIO,
    bot_username: str | None = None,
    default_timezone: str = "UTC",
    whatsapp_number: str | None = None,
) -> None:
    args.bot_username = bot_username
    args.whatsapp_number = whatsapp_number
    if getattr(args, "timezone", "") is None:
        args.timezone = default_timezone
    handlers: dict[str, Callable[[UnitOfWork, argparse.Namespace, TextIO], Awaitable[None]]] = {
        "group-create": _group_create,
        "group-contacts": _group_contacts,
        "groups": _groups,
        "qr": _qr,
        "users": _users,
        "grant-kader": _grant_kader,
        "grant-officer": _grant_officer,
        "grant-admin": _grant_admin,
        "revoke": _revoke,
        "audit": _audit,
        "inbox": _inbox,
    }
    async with database.unit_of_work() as uow:
        await handlers[args.action](uow, args, out)


async def _group_create(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise AdminError(f"unknown time zone {args.timezone!r}") from exc
    fields = {
        name: getattr(args, name).strip()
        for name in ("name", "village", "district", "regency", "puskesmas")
    }
    if not all(fields.values()):
        raise AdminError("name, village, district, regency and puskesmas must not be empty")
    now = utc_now()
    group = await uow.groups.create(
        NewGroup(
            name=fields["name"],
            sector=Sector(args.sector),
            village=fields["village"],
            district=fields["district"],
            regency=fields["regency"],
            puskesmas_name=fields["puskesmas"],
            puskesmas_phone=args.puskesmas_phone,
            timezone=args.timezone,
        ),
        now,
    )
    await uow.audit.record(
        actor=ADMIN_ACTOR,
        action="create-group",
        subject=f"group:{group.id}",
        now=now,
        code=group.join_code,
    )
    print(f"created group {group.id} {group.name!r}, join code {group.join_code}", file=out)


async def _group_contacts(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    """Change only the numbers given; an empty string clears one."""
    group = await _group_by_code(uow, args.group)
    given = {
        "puskesmas_phone": args.puskesmas_phone,
        "ambulance_phone": args.ambulance_phone,
        "hospital_name": args.hospital,
        "hospital_phone": args.hospital_phone,
    }
    if all(value is None for value in given.values()):
        raise AdminError("give at least one of the numbers to set")
    current = {name: getattr(group, name) for name in given}
    merged = {
        name: (value.strip() or None) if value is not None else current[name]
        for name, value in given.items()
    }
    await uow.groups.set_contacts(group.id, **merged)
    await uow.audit.record(
        actor=ADMIN_ACTOR,
        action="set-contacts",
        subject=f"group:{group.id}",
        now=utc_now(),
        **merged,
    )
    print(f"emergency contacts of {group.name} updated", file=out)


async def _groups(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    groups = await uow.groups.all()
    if not groups:
        print("no groups yet: create one with `posukk admin group-create`", file=out)
    for group in groups:
        members = await uow.memberships.count(group.id)
        links = "".join(f"  {link}" for link in _links(args, group).values())
        print(
            f"{group.join_code}  {group.name} ({group.sector.value}) - {group.village},"
            f" {group.district},"
            f" {group.regency} - {group.puskesmas_name} - {group.timezone} - {members} members"
            f"{links}",
            file=out,
        )


def _links(args: argparse.Namespace, group: Group) -> dict[str, str]:
    """The group's join link on each app whose bot name or number is configured."""
    links = {}
    if args.bot_username:
        links["telegram"] = join_link(args.bot_username, group)
    if args.whatsapp_number:
        links["whatsapp"] = whatsapp_join_link(args.whatsapp_number, group)
    return links


_MISSING_LINK_SETTING = {
    "telegram": "set POSUKK_TELEGRAM_BOT_USERNAME (the bot's @name from BotFather) first",
    "whatsapp": "set POSUKK_WHATSAPP_NUMBER (the bot's number with country code) first",
}


async def _qr(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    group = await _group_by_code(uow, args.group)
    link = _links(args, group).get(args.app)
    if link is None:
        raise AdminError(_MISSING_LINK_SETTING[args.app])
    default = Path(f"posukk-{group.join_code}{'-wa' if args.app == 'whatsapp' else ''}.png")
    path = write_qr_poster(link, group, args.out or default, args.app)
    print(f"{link}\nQR poster written to {path}", file=out)


async def _users(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    for user in await uow.users.all():
        group_id = await uow.memberships.active_group_id(user.id)
        group = await uow.groups.get(group_id) if group_id is not None else None
        grants = await uow.roles.active(user.id)
        roles = ", ".join(
            f"{g.role.value}:{g.regency or g.group_id}" if g.role is not Role.ADMIN else "admin"
            for g in grants
        )
        print(
            f"{user.id:>5}  {user.name}  [{user.channel.value}]"
            f"  group={group.join_code if group else '-'}"
            f"  roles={roles or 'worker'}",
            file=out,
        )


async def _group_by_code(uow: UnitOfWork, code: str) -> Group:
    group = await uow.groups.by_code(code)
    if group is None:
        raise AdminError(f"no group with join code {code!r}")
    return group


async def _require_user(uow: UnitOfWork, user_id: int) -> str:
    user = await uow.users.get(user_id)
    if user is None:
        raise AdminError(f"no user with id {user_id}")
    return user.name


async def _grant_kader(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    name = await _require_user(uow, args.user)
    group = await _group_by_code(uow, args.group)
    if any(
        g.role is Role.KADER and g.group_id == group.id for g in await uow.roles.active(args.user)
    ):
        raise AdminError(f"{name} is already kader of {group.name}")
    now = utc_now()
    await uow.roles.grant(
        user_id=args.user, role=Role.KADER, group_id=group.id, granted_by=ADMIN_ACTOR, now=now
    )
    if await uow.memberships.active_group_id(args.user) is None:
        await uow.memberships.join(args.user, group.id, now)
    await uow.audit.record(
        actor=ADMIN_ACTOR,
        action="grant-role",
        subject=f"user:{args.user}",
        now=now,
        role="kader",
        group=group.id,
    )
    print(f"{name} is now kader of {group.name}", file=out)


async def _grant_officer(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    name = await _require_user(uow, args.user)
    now = utc_now()
    if args.regency:
        regency = args.regency.strip()
        if not any(group.regency == regency for group in await uow.groups.all()):
            raise AdminError(
                f"no group is in regency {regency!r}; check the spelling with `groups`"
            )
        await uow.roles.grant(
            user_id=args.user, role=Role.OFFICER, regency=regency, granted_by=ADMIN_ACTOR, now=now
        )
        await uow.audit.record(
            actor=ADMIN_ACTOR,
            action="grant-role",
            subject=f"user:{args.user}",
            now=now,
            role="officer",
            regency=regency,
        )
        print(f"{name} is now officer of regency {regency}", file=out)
        return
    for code in args.group:
        group = await _group_by_code(uow, code)
        await uow.roles.grant(
            user_id=args.user, role=Role.OFFICER, group_id=group.id, granted_by=ADMIN_ACTOR, now=now
        )
        await uow.audit.record(
            actor=ADMIN_ACTOR,
            action="grant-role",
            subject=f"user:{args.user}",
            now=now,
            role="officer",
            group=group.id,
        )
        print(f"{name} is now officer of {group.name}", file=out)


async def _grant_admin(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    name = await _require_user(uow, args.user)
    if any(g.role is Role.ADMIN for g in await uow.roles.active(args.user)):
        raise AdminError(f"{name} is already admin")
    now = utc_now()
    await uow.roles.grant(user_id=args.user, role=Role.ADMIN, granted_by=ADMIN_ACTOR, now=now)
    await uow.audit.record(
        actor=ADMIN_ACTOR, action="grant-role", subject=f"user:{args.user}", now=now, role="admin"
    )
    print(f"{name} is now admin", file=out)


async def _revoke(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    name = await _require_user(uow, args.user)
    role = Role(args.role)
    now = utc_now()
    revoked = [g for g in await uow.roles.active(args.user) if g.role is role]
    if not revoked:
        raise AdminError(f"{name} holds no {role.value} role")
    for grant in revoked:
        await uow.roles.revoke(grant.id, now)
        await uow.audit.record(
            actor=ADMIN_ACTOR,
            action="revoke-role",
            subject=f"user:{args.user}",
            now=now,
            role=role.value,
            group=grant.group_id,
            regency=grant.regency,
        )
    print(f"revoked {len(revoked)} {role.value} grant(s) from {name}", file=out)


async def _audit(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    for entry in await uow.audit.recent(
        args.limit, action=args.only_action, subject=args.only_subject
    ):
        detail = " ".join(f"{k}={v}" for k, v in entry.detail.items() if v is not None)
        print(
            f"{entry.at:%Y-%m-%d %H:%M:%S}Z  {entry.actor}  {entry.action}"
            f"  {entry.subject}  {detail}",
            file=out,
        )


async def _inbox(uow: UnitOfWork, args: argparse.Namespace, out: TextIO) -> None:
    """The updates kept as failed: when they came, from which app, and why they failed."""
    for row, reason in await uow.inbox.failed():
        print(f"#{row.id}  {row.received_at:%Y-%m-%d %H:%M:%S}Z  {row.channel}  {reason}", file=out)
