"""The one command table: every slash command, its aliases and bare words, who may use it, where
it works, and which menus list it.

The engine parses typed text with it (`parse`), checks it before running a command, and lets
the few commands listed as such through before registration or consent; the group-chat path
uses the group-chat meaning of a name (`/link` there links the chat, in private it links an
account); Telegram's command menus are built from it (`platform_menu`). What a command does is
the flows' business: `handlers/commands.py` gives each one that runs a flow its function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Flag, auto

from bot.domain.access import Action
from bot.storage.records import Role


class Where(Flag):
    PRIVATE = auto()
    GROUP_CHAT = auto()
    """Typed in a group chat. Private commands typed there get a hint to write in private."""


ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.OFFICER, Role.ADMIN})
MEMBERS = frozenset({Role.WORKER, Role.KADER})
NOBODY: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Command:
    name: str
    label_key: str | None
    """The main-menu button's and the platform command menu's text; None: in no menu."""
    action: Action = Action.USE_BOT
    menu_roles: frozenset[Role] = NOBODY
    """Whose main menu (and platform command menu) lists it; anyone allowed may still type it."""
    aliases: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    """Bare words that count as the command, for people who never type a slash."""
    where: Where = Where.PRIVATE
    always_listed: bool = False
    """In every platform command menu, whatever the role."""
    before_registration: bool = False
    """Works for someone not registered yet; any other command asks them to finish registering
    first (the engine runs these itself)."""
    without_consent: bool = False
    """Works for someone who has not agreed to the current consent text."""
    group_label_key: str | None = None
    """Its text in a group chat's command menu, if it is listed there."""


TABLE: tuple[Command, ...] = (
    Command("start", "command.start", always_listed=True, before_registration=True),
    Command("menu", "command.menu", words=("menu",), always_listed=True),
    Command("p3k", "menu.first_aid", menu_roles=ALL_ROLES),
    Command(
        "sos",
        "menu.sos",
        menu_roles=MEMBERS,
        aliases=("tolong",),
        words=("sos",),
        before_registration=True,
        without_consent=True,
    ),
    Command("kartu", "menu.cards", menu_roles=MEMBERS, aliases=("cards",)),
    Command(
        "buku",
        "menu.booklet",
        Action.PRINT_BOOKLET,
        menu_roles=frozenset({Role.KADER, Role.OFFICER, Role.ADMIN}),
        aliases=("booklet",),
    ),
    Command("lapor", "menu.report", menu_roles=MEMBERS),
    Command("laporan", "menu.reports", menu_roles=ALL_ROLES),
    Command(
        "anggota",
        "menu.members",
        Action.VIEW_GROUP_MEMBERS,
        menu_roles=frozenset({Role.KADER}),
    ),
    Command(
        "siaran",
        "menu.broadcast",
        Action.BROADCAST,
        menu_roles=frozenset({Role.KADER, Role.OFFICER, Role.ADMIN}),
    ),
    Command(
        "capaian",
        "menu.achievement",
        Action.VIEW_GROUP_MEMBERS,
        menu_roles=frozenset({Role.KADER}),
    ),
    Command("daftargrup", "menu.groups", Action.VIEW_GROUPS_IN_SCOPE, menu_roles=STAFF),
    Command("ringkasan", "menu.summary", Action.VIEW_GROUPS_IN_SCOPE, menu_roles=STAFF),
    Command(
        "web",
        "menu.web",
        Action.VIEW_DASHBOARD,
        menu_roles=frozenset({Role.KADER, Role.OFFICER, Role.ADMIN}),
    ),
    Command("grup", "menu.my_group", menu_roles=MEMBERS),
    Command("kegiatan", "menu.activities", menu_roles=ALL_ROLES),
    Command("pergi", "menu.away", menu_roles=MEMBERS),
    Command("kembali", "menu.back_home"),
    Command("bahasa", "menu.language", menu_roles=ALL_ROLES, aliases=("language",)),
    Command("datasaya", "menu.my_data", menu_roles=ALL_ROLES, without_consent=True),
    Command("ubahdata", "menu.edit_data"),
    Command("hapusdata", "menu.erase_data", without_consent=True),
    Command(
        "bantuan",
        "menu.help",
        menu_roles=ALL_ROLES,
        aliases=("help",),
        words=("bantuan", "help"),
        where=Where.PRIVATE | Where.GROUP_CHAT,
        group_label_key="chat.command_help",
    ),
    Command(
        "batal",
        "command.batal",
        aliases=("cancel",),
        words=("batal", "cancel"),
        always_listed=True,
        before_registration=True,
    ),
    Command("tautkan", None, aliases=("link",), before_registration=True),
    Command(
        "hubungkan",
        None,
        Action.LINK_CHAT,
        aliases=("link",),
        where=Where.GROUP_CHAT,
        group_label_key="chat.command_link",
    ),
    Command(
        "lepaskan",
        None,
        Action.LINK_CHAT,
        aliases=("unlink",),
        where=Where.GROUP_CHAT,
        group_label_key="chat.command_unlink",
    ),
)
COMMANDS = {command.name: command for command in TABLE}

_COMMAND = re.compile(r"^/([a-z0-9]+)(?:@\w+)?(?:\s+(.*))?$", re.IGNORECASE | re.DOTALL)


def _names(where: Where) -> dict[str, str]:
    """Every name, alias and bare word that means a command in `where`."""
    names = {}
    for command in TABLE:
        if command.where & where:
            names.update(dict.fromkeys((command.name, *command.aliases), command.name))
    return names


_BY_NAME = {where: _names(where) for where in (Where.PRIVATE, Where.GROUP_CHAT)}
_WORDS = {word: command.name for command in TABLE for word in command.words}


def parse(text: str, where: Where = Where.PRIVATE) -> tuple[str, str] | None:
    """`/start ABC123` -> ("start", "ABC123"), aliases resolved for `where`; bare words like
    `batal` count in private. An unknown slash command keeps its own name."""
    found = _COMMAND.match(text)
    if found:
        name = found.group(1).lower()
        return _BY_NAME[where].get(name, name), (found.group(2) or "").strip()
    word = text.strip().lower()
    return (_WORDS[word], "") if where is Where.PRIVATE and word in _WORDS else None


def main_menu(role: Role) -> list[tuple[str, str]]:
    """The main menu's entries for `role` (command, label key), in table order."""
    return [(c.name, c.label_key) for c in TABLE if c.label_key and role in c.menu_roles]


def platform_menu(role: Role = Role.WORKER) -> list[tuple[str, str]]:
    """(command, label key) pairs a platform's command menu shows to `role` (by default a
    worker's, which is everyone's until they get their own)."""
    return [
        (command.name, command.label_key)
        for command in TABLE
        if command.label_key and (command.always_listed or role in command.menu_roles)
    ]


def group_chat_menu() -> list[tuple[str, str]]:
    """What the command menu of group chats shows: linking, unlinking, and what the bot does."""
    listed = [c for c in TABLE if c.group_label_key]
    own_first = sorted(listed, key=lambda c: c.where != Where.GROUP_CHAT)
    return [(c.name, c.group_label_key) for c in own_first if c.group_label_key]


def group_chat_command(text: str) -> tuple[str, str] | None:
    """A command typed in a group chat, by its group-chat meaning (`/link` links the chat there);
    a private command keeps its name (the bot answers it with a hint to write in private); None
    for anything else, most likely another bot's command."""
    for where in (Where.GROUP_CHAT, Where.PRIVATE):
        typed = parse(text, where)
        if typed is not None and typed[0] in COMMANDS and COMMANDS[typed[0]].where & where:
            return typed
    return None
