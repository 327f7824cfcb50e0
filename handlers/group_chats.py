"""A Pos UKK's own group chat (a Telegram group): linking it, unlinking it, and what the bot says
there.

A group chat never holds a conversation. Everyone in it reads everything, so the bot only posts
activity reminders and broadcasts there (`scheduler.reminders`, `scheduler.broadcasts`), and
answers the few commands below; reports, names and first aid stay in private chats.
"""

from __future__ import annotations

from bot.base.models import ChatEventKind, Reply
from bot.core.conversation import ChatTurn
from bot.core.notify import tell_kader_chat_gone
from bot.domain.access import Action, allowed
from bot.storage.records import Group, GroupChat, Role

REMOVED = "the bot was removed from the group chat"
UNLINKED = "the group chat was unlinked"


async def on_chat_event(turn: ChatTurn, command: tuple[str, str] | None) -> list[Reply]:
    """What the bot posts in the group chat after `turn.event`, if anything; `command` is the
    typed command by its group-chat meaning (`bot.core.commands.group_chat_command`)."""
    event = turn.event
    linked = await turn.uow.group_chats.active(event.channel, event.chat_ref)
    match event.kind:
        case ChatEventKind.MOVED:
            if event.new_chat_ref is not None:
                await turn.uow.group_chats.move(
                    event.channel, event.chat_ref, event.new_chat_ref, turn.now
                )
            return []
        case ChatEventKind.REMOVED:
            if linked is not None:
                await _end(turn, linked, REMOVED, "group-chat-removed")
                await tell_kader_chat_gone(turn.uow, turn.texts, linked, turn.now)
            return []
        case ChatEventKind.ADDED:
            return await _help(turn, linked)
    if command is None:
        return []  # another bot's command, most likely
    name, argument = command
    if name == "hubungkan":
        return await _link(turn, linked, argument)
    if name == "lepaskan":
        return await _unlink(turn, linked)
    return await _help(turn, linked)  # anything the bot answers in private: write in private


async def _help(turn: ChatTurn, linked: GroupChat | None) -> list[Reply]:
    """How to link the chat, or what the bot does in it once linked."""
    if linked is None:
        return turn.reply("chat.added")
    group = await turn.uow.groups.get(linked.group_id)
    return turn.reply("chat.help_linked", group=group.name if group else "?")


async def _link(turn: ChatTurn, linked: GroupChat | None, code: str) -> list[Reply]:
    if turn.user is None:
        return turn.reply("chat.register_first")
    group = await _group_to_link(turn, code)
    if group is None:
        key = "chat.unknown_code" if code else "chat.need_code"
        return turn.reply(key)
    if not allowed(turn.grants, Action.LINK_CHAT, group):
        return turn.reply("chat.not_allowed")
    if linked is not None and linked.group_id == group.id:
        return turn.reply("chat.already_linked", group=group.name)
    if linked is not None:
        current = await turn.uow.groups.get(linked.group_id)
        if current is not None and not allowed(turn.grants, Action.LINK_CHAT, current):
            return turn.reply("chat.linked_elsewhere", group=current.name)
    chat = await turn.uow.group_chats.link(
        group_id=group.id,
        channel=turn.event.channel,
        chat_ref=turn.event.chat_ref,
        title=turn.event.title or "?",
        language=turn.user.language,
        linked_by=turn.user.id,
        now=turn.now,
    )
    await turn.uow.audit.record(
        actor=turn.actor,
        action="group-chat-link",
        subject=f"group:{group.id}",
        now=turn.now,
        chat=chat.id,
        title=chat.title,
    )
    return turn.reply("chat.linked", group=group.name)


async def _group_to_link(turn: ChatTurn, code: str) -> Group | None:
    """The Pos UKK named by the join code typed after the command; without one, the group the
    person is kader of, if exactly one."""
    if code:
        return await turn.uow.groups.by_code(code[:32])
    kader_of = {g.group_id for g in turn.grants if g.role is Role.KADER and g.group_id}
    if len(kader_of) != 1:
        return None
    return await turn.uow.groups.get(kader_of.pop())


async def _unlink(turn: ChatTurn, linked: GroupChat | None) -> list[Reply]:
    if linked is None:
        return turn.reply("chat.not_linked")
    group = await turn.uow.groups.get(linked.group_id)
    if group is None or not allowed(turn.grants, Action.LINK_CHAT, group):
        return turn.reply("chat.not_allowed")
    await _end(turn, linked, UNLINKED, "group-chat-unlink")
    return turn.reply("chat.unlinked", group=group.name)


async def _end(turn: ChatTurn, linked: GroupChat, reason: str, action: str) -> None:
    await turn.uow.group_chats.unlink(linked.id, turn.now, reason)
    await turn.uow.audit.record(
        actor=turn.actor,
        action=action,
        subject=f"group:{linked.group_id}",
        now=turn.now,
        chat=linked.id,
        title=linked.title,
    )
