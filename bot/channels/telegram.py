"""Telegram through python-telegram-bot: updates become `Inbound`, `Reply` becomes messages.

No rules live here. The engine decides everything; this module only translates, renders
keyboards, answers button presses, keeps photos on disk, and maps Telegram's errors onto the
delivery job's (`bot.outbound`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Callable
from pathlib import Path

# Opt in to python-telegram-bot's coming behaviour (time periods as timedelta); without it every
# RetryAfter raises a deprecation warning inside the library.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Chat,
    ChatMember,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.access import main_role
from bot.channels.answering import answer
from bot.channels.text import split_text
from bot.engine import Engine
from bot.models import (
    Channel,
    ChatEvent,
    ChatEventKind,
    Choice,
    Inbound,
    Location,
    Reply,
    valid_choice_token,
)
from bot.outbound import Moved, PermanentFailure, RetryLater, TemporaryFailure, Unreachable
from bot.photos import keep_photo
from bot.settings import Settings
from bot.storage.records import Role
from bot.texts import LANGUAGES, Texts
from handlers.commands import command_list

log = logging.getLogger(__name__)

INVALID_TOKEN = "invalid"
"""Stands in for button data that cannot be a token: the engine refuses it like any forgery."""
_UNREACHABLE = ("chat not found", "user is deactivated", "bot was blocked", "bot can't initiate")
_GROUP_CHATS = (ChatType.GROUP, ChatType.SUPERGROUP)
_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
GROUP_COMMANDS = (
    ("hubungkan", "chat.command_link"),
    ("lepaskan", "chat.command_unlink"),
    ("bantuan", "chat.command_help"),
)
"""The command menu in group chats, where the bot only links the chat and explains itself."""


def inline_keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup:
    """One button per row: long Indonesian labels stay readable on small screens."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.token)] for c in choices]
    )


def request_keyboard(reply: Reply) -> ReplyKeyboardMarkup:
    """The share-phone or share-location button, then the choices as plain typed answers."""
    share = KeyboardButton(
        reply.request_label or "OK",
        request_contact=reply.request == "contact",
        request_location=reply.request == "location",
    )
    rows = [[share], *[[KeyboardButton(c.label)] for c in reply.choices]]
    return ReplyKeyboardMarkup(rows, one_time_keyboard=True, resize_keyboard=True)


class TelegramRenderer:
    """Sends replies to one chat; remembers (in memory) where a typed-answer keyboard is up."""

    def __init__(self) -> None:
        self._keyboard_up: set[int] = set()

    async def send(self, bot: Bot, chat_id: int, reply: Reply) -> str:
        """Send `reply` (or edit the message it replaces); the id of the last message sent."""
        if reply.replaces and not reply.photo and len(reply.text) <= MessageLimit.MAX_TEXT_LENGTH:
            edited = await self._edit(bot, chat_id, int(reply.replaces), reply)
            if edited:
                return reply.replaces
        if reply.photo:
            picture = await asyncio.to_thread(Path(reply.photo).read_bytes)
            await bot.send_photo(chat_id, picture)
        chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
        sent_id = ""
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None
            if last and reply.request:
                markup = request_keyboard(reply)
                self._keyboard_up.add(chat_id)
            elif last and reply.choices:
                markup = inline_keyboard(reply.choices)
            elif chat_id in self._keyboard_up:
                markup = ReplyKeyboardRemove()
                self._keyboard_up.discard(chat_id)
            sent = await bot.send_message(chat_id, chunk, reply_markup=markup)
            sent_id = str(sent.message_id)
        if reply.document:
            document = Path(reply.document)
            content = await asyncio.to_thread(document.read_bytes)
            await bot.send_document(chat_id, content, filename=document.name)
        return sent_id

    async def _edit(self, bot: Bot, chat_id: int, message_id: int, reply: Reply) -> bool:
        """Update a message in place; False if Telegram will not (too old, deleted)."""
        markup = inline_keyboard(reply.choices) if reply.choices else None
        try:
            await bot.edit_message_text(
                reply.text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return True
            log.info("cannot edit message %s, sending a new one: %s", message_id, error.message)
            return False
        return True


def retry_after_seconds(error: RetryAfter) -> float:
    retry = error.retry_after
    return retry.total_seconds() if isinstance(retry, dt.timedelta) else float(retry)


class TelegramSender:
    """The outbox's way to Telegram: send, and translate errors for the delivery job."""

    channel = Channel.TELEGRAM

    def __init__(self, application: Application, renderer: TelegramRenderer) -> None:  # type: ignore[type-arg]
        self.application = application
        self.renderer = renderer

    async def send(self, recipient: str, reply: Reply) -> str | None:
        try:
            return await self.renderer.send(self.application.bot, int(recipient), reply)
        except RetryAfter as error:
            raise RetryLater(retry_after_seconds(error)) from error
        except ChatMigrated as error:
            raise Moved(str(error.new_chat_id)) from error
        except Forbidden as error:
            raise Unreachable(error.message) from error
        except BadRequest as error:
            if any(reason in error.message.lower() for reason in _UNREACHABLE):
                raise Unreachable(error.message) from error
            raise PermanentFailure(error.message) from error
        except (NetworkError, TelegramError) as error:
            raise TemporaryFailure(str(error)) from error


class TelegramChannel:
    """The python-telegram-bot application wired to the engine."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        texts: Texts,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        if settings.telegram_token is None:
            raise ValueError("POSUKK_TELEGRAM_TOKEN is not set")
        self.engine = engine
        self.settings = settings
        self.texts = texts
        self.on_outbox = on_outbox
        self.renderer = TelegramRenderer()
        self.application = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(settings.telegram_api_url)
            .base_file_url(settings.telegram_file_url)
            .concurrent_updates(True)
            .build()
        )
        private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
        content = filters.TEXT | filters.LOCATION | filters.CONTACT | filters.PHOTO
        self.application.add_handler(CallbackQueryHandler(self.on_button))
        self.application.add_handler(MessageHandler(private & content, self.on_message))
        self.application.add_handler(
            ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        self.application.add_handler(
            MessageHandler(groups & filters.StatusUpdate.MIGRATE, self.on_migrate)
        )
        self.application.add_handler(
            MessageHandler(groups & filters.COMMAND, self.on_group_command)
        )
        self.application.add_error_handler(self.on_error)
        self.sender = TelegramSender(self.application, self.renderer)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        payload: dict[str, object] = {}
        if message.location is not None:
            payload["location"] = Location(
                latitude=message.location.latitude, longitude=message.location.longitude
            )
        elif message.contact is not None:
            payload["contact_phone"] = message.contact.phone_number[:32]
        elif message.photo:
            photo_ref = await self._keep_photo(
                message.photo[-1].file_id, message.photo[-1].file_size
            )
            if photo_ref is None:
                return
            payload["photo_ref"] = photo_ref
        elif message.text:
            payload["text"] = message.text
        else:
            return
        inbound = Inbound.model_validate(
            {
                "channel": Channel.TELEGRAM,
                "user_ref": str(user.id),
                "message_id": f"{message.chat_id}:{message.message_id}",
                "received_at": message.date,
                **payload,
            }
        )
        await self._answer(message.chat_id, inbound)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the press, retire the old buttons, then hand the choice to the engine."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        await query.answer()
        message = query.message
        if message is None or not hasattr(message, "chat_id"):
            return
        if message.chat.type != ChatType.PRIVATE:
            return  # the bot posts no buttons in group chats: whatever this is, it is not ours
        markup = getattr(message, "reply_markup", None)
        chosen = None
        if isinstance(markup, InlineKeyboardMarkup):
            pressed = [
                b for row in markup.inline_keyboard for b in row if b.callback_data == query.data
            ]
            chosen = pressed[0].text if pressed else None
        text = getattr(message, "text", None)
        if text and chosen:
            await query.edit_message_text(f"{text}\n\n➡️ {chosen}"[: MessageLimit.MAX_TEXT_LENGTH])
        else:
            await query.edit_message_reply_markup(None)
        data = valid_choice_token(query.data) or INVALID_TOKEN
        inbound = Inbound(
            channel=Channel.TELEGRAM,
            user_ref=str(user.id),
            message_id=f"cb:{query.id}",
            received_at=self.engine.clock(),
            choice=data,
        )
        await self._answer(message.chat_id, inbound)

    async def _answer(self, chat_id: int, inbound: Inbound) -> None:
        async def send(reply: Reply) -> str:
            return await self.renderer.send(self.application.bot, chat_id, reply)

        await answer(self.engine, inbound, send, (RetryAfter, NetworkError))
        self.on_outbox()

    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was added to a group chat, or removed from it."""
        change = update.my_chat_member
        if change is None or change.chat.type not in _GROUP_CHATS:
            return
        present = _present(change.new_chat_member)
        if present == _present(change.old_chat_member):
            return  # promoted, restricted, ...: still there, or still gone
        kind = ChatEventKind.ADDED if present else ChatEventKind.REMOVED
        await self._chat_event(change.chat, kind, change.from_user)

    async def on_group_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        _, _, addressee = message.text.split(maxsplit=1)[0].partition("@")
        if addressee and addressee.lower() != (self.application.bot.username or "").lower():
            return  # `/help@OtherBot`: another bot's command, which an admin bot also sees
        await self._chat_event(
            message.chat, ChatEventKind.COMMAND, message.from_user, text=message.text
        )

    async def on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: same people, new chat id."""
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return  # the twin service message in the new chat says nothing new
        await self._chat_event(
            message.chat,
            ChatEventKind.MOVED,
            message.from_user,
            new_chat_ref=str(message.migrate_to_chat_id),
        )

    async def _chat_event(
        self,
        chat: Chat,
        kind: ChatEventKind,
        user: User | None,
        *,
        text: str = "",
        new_chat_ref: str | None = None,
    ) -> None:
        event = ChatEvent(
            channel=Channel.TELEGRAM,
            chat_ref=str(chat.id),
            kind=kind,
            received_at=self.engine.clock(),
            user_ref=str(user.id) if user else None,
            title=(chat.title or "")[:128],
            text=text[: MessageLimit.MAX_TEXT_LENGTH],
            new_chat_ref=new_chat_ref,
        )
        for reply in await self.engine.handle_chat_event(event):
            try:
                await self.renderer.send(self.application.bot, chat.id, reply)
            except TelegramError as error:
                log.warning("could not answer in group chat %s: %s", chat.id, error)
                break

    async def _keep_photo(self, file_id: str, size: int | None) -> str | None:
        """Download a photo now (Telegram file ids are not forever) and keep it by its hash."""

        async def download() -> bytes:
            file = await self.application.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())

        return await keep_photo(
            self.settings.data_dir, size, self.settings.max_photo_bytes, download
        )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling a Telegram update", exc_info=context.error)

    async def sync_commands(self) -> None:
        """Command menus: workers by default; kader and officers get their own, per chat."""
        bot = self.application.bot
        for language in LANGUAGES:
            await bot.set_my_commands(
                self._commands(Role.WORKER, language),
                scope=BotCommandScopeDefault(),
                language_code=language,
            )
        async with self.engine.database.unit_of_work() as uow:
            staff = []
            for user in await uow.users.staff(Channel.TELEGRAM):
                grants = await uow.roles.active(user.id)
                staff.append((int(user.platform_id), main_role(grants), user.language))
        for language in LANGUAGES:
            await bot.set_my_commands(
                [BotCommand(name, self.texts.get(language, key)) for name, key in GROUP_COMMANDS],
                scope=BotCommandScopeAllGroupChats(),
                language_code=language,
            )
        for chat_id, role, language in staff:
            await bot.set_my_commands(
                self._commands(role, language), scope=BotCommandScopeChat(chat_id)
            )

    def _commands(self, role: Role, language: str) -> list[BotCommand]:
        return [BotCommand(name, self.texts.get(language, key)) for name, key in command_list(role)]


def _present(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in _PRESENT
