"""Slash commands and main-menu entries: one table, one access check for both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.conversation import Finish, Outcome, StartFlow, StepContext
from bot.domain.access import Action, allowed, main_role
from bot.storage.records import Role
from handlers.achievement import show_achievement
from handlers.area_summary import show_summary
from handlers.away import come_back, go_away
from handlers.broadcast_history import open_broadcasts
from handlers.members import show_groups, show_members
from handlers.my_data import show_my_data
from handlers.sos import start_sos

ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.OFFICER, Role.ADMIN})
MEMBERS = frozenset({Role.WORKER, Role.KADER})


@dataclass(frozen=True)
class Command:
    name: str
    label_key: str
    action: Action
    run: Callable[[StepContext, str], Awaitable[Outcome]]
    menu_roles: frozenset[Role]
    """Whose main menu shows it; anyone allowed may still type it."""


def _start(flow: str) -> Callable[[StepContext, str], Awaitable[Outcome]]:
    async def run(ctx: StepContext, args: str) -> Outcome:
        return StartFlow(flow)

    return run


async def _sos(ctx: StepContext, args: str) -> Outcome:
    return start_sos(None)


async def _help(ctx: StepContext, args: str) -> Outcome:
    role = main_role(ctx.grants)
    key = {Role.WORKER: "help.worker", Role.KADER: "help.kader"}.get(role, "help.officer")
    return Finish([ctx.reply("help.intro"), ctx.reply(key)])


COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        Command("p3k", "menu.first_aid", Action.USE_BOT, _start("browse"), ALL_ROLES),
        Command("sos", "menu.sos", Action.USE_BOT, _sos, MEMBERS),
        Command("lapor", "menu.report", Action.USE_BOT, _start("report"), MEMBERS),
        Command("laporan", "menu.reports", Action.USE_BOT, _start("reports"), ALL_ROLES),
        Command(
            "anggota",
            "menu.members",
            Action.VIEW_GROUP_MEMBERS,
            show_members,
            frozenset({Role.KADER}),
        ),
        Command(
            "siaran",
            "menu.broadcast",
            Action.BROADCAST,
            open_broadcasts,
            frozenset({Role.KADER, Role.OFFICER, Role.ADMIN}),
        ),
        Command(
            "capaian",
            "menu.achievement",
            Action.VIEW_GROUP_MEMBERS,
            show_achievement,
            frozenset({Role.KADER}),
        ),
        Command("daftargrup", "menu.groups", Action.VIEW_GROUPS_IN_SCOPE, show_groups, STAFF),
        Command("ringkasan", "menu.summary", Action.VIEW_GROUPS_IN_SCOPE, show_summary, STAFF),
        Command("grup", "menu.my_group", Action.USE_BOT, _start("group"), MEMBERS),
        Command("kegiatan", "menu.activities", Action.USE_BOT, _start("activities"), ALL_ROLES),
        Command("pergi", "menu.away", Action.USE_BOT, go_away, MEMBERS),
        Command("kembali", "menu.back_home", Action.USE_BOT, come_back, frozenset()),
        Command("bahasa", "menu.language", Action.USE_BOT, _start("language"), ALL_ROLES),
        Command("datasaya", "menu.my_data", Action.USE_BOT, show_my_data, ALL_ROLES),
        Command("ubahdata", "menu.edit_data", Action.USE_BOT, _start("profile"), frozenset()),
        Command("hapusdata", "menu.erase_data", Action.USE_BOT, _start("erase"), frozenset()),
        Command("bantuan", "menu.help", Action.USE_BOT, _help, ALL_ROLES),
    )
}


def menu_commands(ctx: StepContext) -> list[Command]:
    role = main_role(ctx.grants)
    return [command for command in COMMANDS.values() if role in command.menu_roles]


async def run_command(ctx: StepContext, name: str, args: str = "") -> Outcome:
    """Run `name` if this person may; otherwise say plainly that it is not for them."""
    command = COMMANDS.get(name)
    if command is None:
        return Finish([ctx.reply("common.unknown_command", command=name[:32])])
    if not allowed(ctx.grants, command.action):
        # A kader is not told the command is "for kader or officers": it is for another role.
        return Finish([ctx.reply("access.denied_role" if ctx.grants else "access.denied")])
    return await command.run(ctx, args)


GLOBAL_COMMANDS = (("start", "command.start"), ("menu", "command.menu"))
CANCEL_COMMAND = ("batal", "command.batal")


def command_list(role: Role) -> list[tuple[str, str]]:
    """(command, label key) pairs a platform's command menu shows to `role`, in menu order."""
    own = [(c.name, c.label_key) for c in COMMANDS.values() if role in c.menu_roles]
    return [*GLOBAL_COMMANDS, *own, CANCEL_COMMAND]
