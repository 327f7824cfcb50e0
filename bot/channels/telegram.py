"""Telegram through python-telegram-bot: updates become `Inbound`, `Reply` becomes messages.

No rules live here. The engine decides everything; this module only translates, renders
keyboards, answers button presses, keeps photos on disk, and maps Telegram's errors onto the
delivery job's (`bot.core.outbound`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import os
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
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
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
    MessageReactionHandler,
    filters,
)

from bot.base.models import (
    Channel,
    ChatEvent,
    ChatEventKind,
    Choice,
    Inbound,
    Location,
    Reply,
    Unreadable,
    Unsent,
    valid_choice_token,
)
from bot.base.settings import Settings
from bot.base.texts import LANGUAGES, Texts
from bot.channels.answering import deliver
from bot.channels.joining import edited_with, joined
from bot.channels.latest import LatestMessages, Pressed, look
from bot.channels.telegram_http import AiohttpRequest, request_data
from bot.channels.text import captioned, clean_text, split_text
from bot.core.commands import group_chat_menu, platform_menu
from bot.core.engine import Engine
from bot.core.inbox import Inbox, failed
from bot.core.outbound import Moved, PermanentFailure, RetryLater, TemporaryFailure, Unreachable
from bot.storage.inbox import InboxRow
from bot.storage.photos import keep_media

log = logging.getLogger(__name__)

INVALID_TOKEN = "invalid"
"""Stands in for button data that cannot be a token: the engine refuses it like any forgery."""
_UNREACHABLE = ("chat not found", "user is deactivated", "bot was blocked", "bot can't initiate")
_GROUP_CHATS = (ChatType.GROUP, ChatType.SUPERGROUP)
CONNECTIONS = 512
"""Connections to the Bot API at most: the delivery lane's largest window (400 sends under way,
`scheduler.pacing.MAX_IN_FLIGHT`) and room for the answers to people writing in beside it."""
_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def inline_keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup:
    """One button per row: long Indonesian labels stay readable on small screens."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.token)] for c in choices]
    )


@functools.lru_cache(maxsize=256)
def inline_keyboard_json(choices: tuple[Choice, ...]) -> str:
    """`inline_keyboard` as the JSON text python-telegram-bot sends for it, made once per set of
    buttons: a broadcast's thousands of messages carry one set (building and encoding it for
    each was about 4 % of a flat-out broadcast's CPU, py-spy)."""
    return json.dumps(inline_keyboard(choices).to_dict())


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
    """Sends replies to one chat; remembers (in memory) where a typed-answer keyboard is up,
    and each chat's newest message (`bot.channels.latest`)."""

    def __init__(self) -> None:
        self._keyboard_up: set[int] = set()
        self.latest = LatestMessages()

    async def send(self, bot: Bot, chat_id: int, reply: Reply) -> str:
        """Send `reply` (or edit the message it replaces); the id of the last message sent."""
        if reply.replaces and not reply.photo and len(reply.text) <= MessageLimit.MAX_TEXT_LENGTH:
            edited = await self._edit(bot, chat_id, int(reply.replaces), reply)
            if edited:
                return reply.replaces
        if reply.photo:
            picture = await asyncio.to_thread(Path(reply.photo).read_bytes)
            caption = reply.text if captioned(reply) else None
            photo_id = (await bot.send_photo(chat_id, picture, caption=caption)).message_id
            self.latest.saw(chat_id, photo_id, look(caption or "", ()))
            if caption is not None:
                return str(photo_id)
        chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
        sent_id = ""
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            markup: Markup | None = None
            if last and reply.request:
                markup = request_keyboard(reply)
                self._keyboard_up.add(chat_id)
            elif last and reply.choices:
                markup = inline_keyboard_json(reply.choices)
            elif chat_id in self._keyboard_up:
                markup = ReplyKeyboardRemove()
                self._keyboard_up.discard(chat_id)
            sent_id = await send_text(bot, chat_id, chunk, markup)
            buttons = reply.choices if last and not reply.request else ()
            self.latest.saw(chat_id, int(sent_id), look(chunk, (c.token for c in buttons)))
        if reply.document:
            document = Path(reply.document)
            content = await asyncio.to_thread(document.read_bytes)
            sent = await bot.send_document(chat_id, content, filename=document.name)
            self.latest.saw(chat_id, sent.message_id, look("", ()))
        return sent_id

    async def _edit(self, bot: Bot, chat_id: int, message_id: int, reply: Reply) -> bool:
        """Update a message in place; False if Telegram will not (too old, deleted)."""
        params: dict[str, object] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "text": reply.text,
        }
        if reply.choices:
            params["reply_markup"] = inline_keyboard_json(reply.choices)
        try:
            await post(bot, "editMessageText", params)
        except BadRequest as error:
            if "not modified" not in error.message.lower():
                log.info("cannot edit message %s, sending a new one: %s", message_id, error.message)
                return False
        self.latest.changed(chat_id, message_id, look(reply.text, (c.token for c in reply.choices)))
        return True


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | str
"""A message's keyboard: python-telegram-bot's object, or its JSON text already made."""


async def post(bot: Bot, method: str, params: dict[str, object]) -> object:
    """A Bot API call whose answer is not needed as python-telegram-bot's objects: building a
    `Message` from the answer was a tenth of the CPU of a flat-out broadcast (py-spy,
    `bench.broadcast`), and the edit that answers a tap carries the whole message back. The call
    goes through the bot's own request object (`BaseRequest.post`, as `Bot` does), so a refusal
    raises the very exceptions `Bot` raises (`RetryAfter`, `Forbidden`, `BadRequest`,
    `ChatMigrated`, `NetworkError`)."""
    return await bot.request.post(f"{bot.base_url}/{method}", request_data(params))


async def send_text(bot: Bot, chat_id: int, text: str, markup: Markup | None) -> str:
    """`sendMessage`, and the new message's id (`post`)."""
    params: dict[str, object] = {"chat_id": chat_id, "text": text}
    if markup is not None:
        params["reply_markup"] = markup
    result = await post(bot, "sendMessage", params)
    if not isinstance(result, dict) or "message_id" not in result:
        raise TelegramError("sendMessage answered without a message id")
    return str(result["message_id"])


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


def telegram_application(token: str, api_url: str, file_url: str) -> Application:  # type: ignore[type-arg]
    """python-telegram-bot's application over aiohttp (`bot.channels.telegram_http`), without
    its updater: updates come from the inbox (`TelegramChannel.process`)."""
    return (
        Application.builder()
        .token(token)
        .base_url(api_url)
        .base_file_url(file_url)
        .request(AiohttpRequest(connection_pool_size=CONNECTIONS))
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .updater(None)
        .build()
    )


class TelegramChannel:
    """The python-telegram-bot application wired to the engine."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        texts: Texts,
        inbox: Inbox,
    ) -> None:
        if settings.telegram_token is None:
            raise ValueError("POSUKK_TELEGRAM_TOKEN is not set")
        self.engine = engine
        self.settings = settings
        self.texts = texts
        self.renderer = TelegramRenderer()
        self.application = telegram_application(
            settings.telegram_token.get_secret_value(),
            settings.telegram_api_url,
            settings.telegram_file_url,
        )
        private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
        said = private & ~filters.StatusUpdate.ALL
        self.application.add_handler(CallbackQueryHandler(self.on_button))
        self.application.add_handler(MessageHandler(said, self.on_message))
        self.application.add_handler(MessageReactionHandler(self.on_reaction))
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
        inbox.route(Channel.TELEGRAM, self.process)

    async def process(self, row: InboxRow) -> None:
        """Handle one stored update. One python-telegram-bot cannot read fails here, and the
        inbox keeps it as failed."""
        update = Update.de_json(json.loads(row.raw), self.application.bot)
        if update.message is not None:  # any new message, even one no handler takes
            self.renderer.latest.saw(update.message.chat_id, update.message.message_id)
        await self.application.process_update(update)

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        payload = {} if update.edited_message is not None else await self._payload(message, user)
        message_id = f"{message.chat_id}:{message.message_id}"
        if update.edited_message is not None:  # each edit is a message of its own
            payload = {"unreadable": Unreadable.EDITED}
            message_id += f":edit:{(message.edit_date or message.date).timestamp():.0f}"
        inbound = Inbound.model_validate(
            {
                "channel": Channel.TELEGRAM,
                "user_ref": str(user.id),
                "message_id": message_id,
                "received_at": message.date,
                **payload,
            }
        )
        await self._answer(message.chat_id, inbound)

    async def _payload(self, message: Message, user: User) -> dict[str, object]:
        """What the person sent, as the fields of an `Inbound`: always something, so every
        message gets an answer."""
        if message.location is not None:
            location = message.location
            return {"location": Location(latitude=location.latitude, longitude=location.longitude)}
        if message.contact is not None:
            if message.contact.user_id not in (None, user.id):
                return {"unreadable": Unreadable.FOREIGN_CONTACT}  # not their own number
            return {"contact_phone": message.contact.phone_number[:32]}
        if message.photo:
            photo = message.photo[-1]
            photo_ref = await self._keep(photo.file_id, photo.file_size)
            return _photo(photo_ref)
        if message.voice:
            voice_ref = await self._keep(message.voice.file_id, message.voice.file_size, ".ogg")
            return {"voice_ref": voice_ref} if voice_ref else {"unreadable": Unreadable.VOICE}
        if message.text:
            return {"text": clean_text(message.text)}
        return {"unreadable": _unreadable(message)}

    async def on_reaction(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An emoji on one of the bot's messages: thanked, and the question asked again."""
        reaction = update.message_reaction
        if reaction is None or reaction.user is None or not reaction.new_reaction:
            return  # a reaction taken back
        if reaction.chat.type != ChatType.PRIVATE:
            return
        when = f"{reaction.date.timestamp():.0f}"
        inbound = Inbound(
            channel=Channel.TELEGRAM,
            user_ref=str(reaction.user.id),
            message_id=f"react:{reaction.chat.id}:{reaction.message_id}:{when}",
            received_at=reaction.date,
            unreadable=Unreadable.REACTION,
        )
        await self._answer(reaction.chat.id, inbound)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Hand the choice to the engine, then answer the press and retire the old buttons:
        a platform error on those two never throws the press away. A press on the chat's newest
        message is answered in it, where the answer fits: one edit instead of an edit and a
        new message."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        message = query.message
        if not isinstance(message, Message):  # none, or too old for Telegram to show
            await _acknowledge(query)
            return
        if message.chat.type != ChatType.PRIVATE:
            await _acknowledge(query)
            return  # the bot posts no buttons in group chats: whatever this is, it is not ours
        inbound = Inbound(
            channel=Channel.TELEGRAM,
            user_ref=str(user.id),
            message_id=f"cb:{query.id}",
            received_at=self.engine.clock(),
            choice=valid_choice_token(query.data) or INVALID_TOKEN,
        )
        replies = await self.engine.handle(inbound)
        await _acknowledge(query)
        retired = _retired(query)
        pressed = self.renderer.latest.pressed(message.chat_id, message.message_id, _looks(message))
        in_place = None
        if retired is not None and pressed is Pressed.NEWEST:
            in_place = edited_with(retired, replies, MessageLimit.MAX_TEXT_LENGTH)
        if retired is None:
            await _drop_buttons(query)
        elif in_place is not None:  # refused for now, the outbox edits later; for good, it is
            replies = [in_place]  # sent as a new message (`TelegramRenderer.send`)
        elif pressed is not Pressed.CHANGED:  # changed: retired, or answered in it, already
            retire = Unsent.answering(inbound, [retired])
            retire = retire.model_copy(update={"message_id": f"{inbound.message_id}:retired"})
            await self._deliver(message.chat_id, retire)
        await self._deliver(message.chat_id, Unsent.answering(inbound, replies))

    async def _answer(self, chat_id: int, inbound: Inbound) -> None:
        await self._deliver(chat_id, Unsent.answering(inbound, await self.engine.handle(inbound)))

    async def _deliver(self, chat_id: int, unsent: Unsent) -> None:
        async def send(reply: Reply) -> str:
            return await self.renderer.send(self.application.bot, chat_id, reply)

        replies = joined(unsent.replies, MessageLimit.MAX_TEXT_LENGTH)
        unsent = unsent.model_copy(update={"replies": replies})
        await deliver(self.engine, unsent, send, (RetryAfter, NetworkError))

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

    async def _keep(self, file_id: str, size: int | None, suffix: str = ".jpg") -> str | None:
        """Download a photo or voice note now (Telegram file ids are not forever) and keep it
        by its hash; None if it is too big or cannot be had."""

        async def download() -> bytes:
            file = await self.application.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())

        try:
            return await keep_media(
                self.settings.data_dir, size, self.settings.max_photo_bytes, download, suffix
            )
        except TelegramError as error:
            log.warning("could not download a photo: %s", type(error).__name__)
            return None

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A handler failed: the inbox keeps the update as failed and logs it."""
        if context.error is not None:
            failed(context.error)

    async def sync_commands(self) -> None:
        """Command menus: workers by default; kader and officers get their own, per chat."""
        bot = self.application.bot
        for language in LANGUAGES:
            await bot.set_my_commands(
                self._commands(platform_menu(), language),
                scope=BotCommandScopeDefault(),
                language_code=language,
            )
        for language in LANGUAGES:
            await bot.set_my_commands(
                self._commands(group_chat_menu(), language),
                scope=BotCommandScopeAllGroupChats(),
                language_code=language,
            )
        for staff in await self.engine.staff_menus(Channel.TELEGRAM):
            await bot.set_my_commands(
                self._commands(staff.menu, staff.language),
                scope=BotCommandScopeChat(int(staff.platform_id)),
            )

    def _commands(self, menu: list[tuple[str, str]], language: str) -> list[BotCommand]:
        return [BotCommand(name, self.texts.get(language, key)) for name, key in menu]


def _photo(photo_ref: str | None) -> dict[str, object]:
    return {"photo_ref": photo_ref} if photo_ref else {"unreadable": Unreadable.PHOTO_FAILED}


def _unreadable(message: Message) -> Unreadable:
    if message.voice or message.audio:
        return Unreadable.VOICE
    if message.video or message.video_note or message.animation:
        return Unreadable.VIDEO
    if message.document:
        return Unreadable.DOCUMENT
    if message.sticker:
        return Unreadable.STICKER
    return Unreadable.OTHER


def _looks(message: Message) -> int:
    """How a message of the bot looks (`bot.channels.latest.look`): its text and buttons."""
    markup = message.reply_markup
    rows = markup.inline_keyboard if isinstance(markup, InlineKeyboardMarkup) else ()
    data = (b.callback_data for row in rows for b in row)
    return look(message.text or "", (d for d in data if isinstance(d, str)))


def _retired(query: CallbackQuery) -> Reply | None:
    """The pressed message again, its buttons gone and the chosen label added, so it cannot
    be pressed twice; None if it has no text to show that in."""
    message, markup = query.message, getattr(query.message, "reply_markup", None)
    text = getattr(message, "text", None)
    if message is None or not text or not isinstance(markup, InlineKeyboardMarkup):
        return None
    pressed = [b for row in markup.inline_keyboard for b in row if b.callback_data == query.data]
    if not pressed:
        return None
    edited = f"{text}\n\n➡️ {pressed[0].text}"[: MessageLimit.MAX_TEXT_LENGTH]
    return Reply(key="pressed", text=edited, replaces=str(message.message_id))


async def _acknowledge(query: CallbackQuery) -> None:
    """Stop the button's spinner. Only cosmetic: if Telegram refuses, the press still counts."""
    try:
        await query.answer()
    except TelegramError as error:
        log.info("could not answer a button press: %s", type(error).__name__)


async def _drop_buttons(query: CallbackQuery) -> None:
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as error:  # gone already (a double tap), or Telegram busy
        log.info("could not remove the pressed buttons: %s", type(error).__name__)


def _present(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in _PRESENT
