"""What each command of the table (`bot.core.commands`) does, for slash commands and main-menu
entries alike, after one access check for both."""

from __future__ import annotations

from bot.core import commands
from bot.core.conversation import (
    REGISTRATION_FLOW,
    CommandRun,
    Finish,
    Outcome,
    StartFlow,
    StepContext,
)
from bot.domain.access import allowed, main_role
from bot.storage.records import Role
from handlers.achievement import show_achievement
from handlers.area_summary import show_summary
from handlers.away import come_back, go_away
from handlers.broadcast_history import open_broadcasts
from handlers.cards import show_booklet, show_packs
from handlers.group import join_by_code
from handlers.members import show_groups, show_members
from handlers.my_data import show_my_data
from handlers.registration import RegistrationDraft
from handlers.sos import start_sos
from handlers.web_link import send_web_link


def _start(flow: str) -> CommandRun:
    async def run(ctx: StepContext, args: str) -> Outcome:
        return StartFlow(flow)

    return run


async def _sos(ctx: StepContext, args: str) -> Outcome:
    return start_sos(None)


async def _help(ctx: StepContext, args: str) -> Outcome:
    role = main_role(ctx.grants)
    key = {Role.WORKER: "help.worker", Role.KADER: "help.kader"}.get(role, "help.officer")
    return Finish([ctx.reply("help.intro"), ctx.reply(key)])


RUNS: dict[str, CommandRun] = {
    "p3k": _start("browse"),
    "sos": _sos,
    "kartu": show_packs,
    "buku": show_booklet,
    "lapor": _start("report"),
    "laporan": _start("reports"),
    "anggota": show_members,
    "siaran": open_broadcasts,
    "capaian": show_achievement,
    "daftargrup": show_groups,
    "ringkasan": show_summary,
    "web": send_web_link,
    "grup": _start("group"),
    "kegiatan": _start("activities"),
    "pergi": go_away,
    "kembali": come_back,
    "bahasa": _start("language"),
    "datasaya": show_my_data,
    "ubahdata": _start("profile"),
    "hapusdata": _start("erase"),
    "bantuan": _help,
}
"""The private commands that run a flow; the engine runs start, menu, batal and tautkan, and
group-chat commands are `handlers.group_chats`."""


async def run_command(ctx: StepContext, name: str, args: str = "") -> Outcome:
    """Run `name` if this person may; otherwise say plainly that it is not for them."""
    command, run = commands.COMMANDS.get(name), RUNS.get(name)
    if command is None or run is None:
        return Finish([ctx.reply("common.unknown_command", command=name[:32])])
    if not allowed(ctx.grants, command.action):
        # A kader is not told the command is "for kader or officers": it is for another role.
        return Finish([ctx.reply("access.denied_role" if ctx.grants else "access.denied")])
    return await run(ctx, args)


async def start(ctx: StepContext, args: str) -> Outcome:
    """`/start`: registration (with the join code of a group's link), or for someone registered
    a greeting, or joining the group whose link they opened."""
    if ctx.user is None:
        return StartFlow(REGISTRATION_FLOW, RegistrationDraft(join_code=args or None))
    if args:
        return await join_by_code(ctx, args)
    return Finish([ctx.reply("start.again", name=ctx.user.name)])


def menu_entries(ctx: StepContext) -> list[tuple[str, str]]:
    """The main menu of this person's role."""
    return commands.main_menu(main_role(ctx.grants))
