"""A local Telegram Bot API server for tests and benchmarks.

It speaks the real HTTP protocol python-telegram-bot uses (form fields with JSON-encoded values,
multipart for files), with correct shapes: seconds in `date`, `is_bot` on users, `chat_instance`
on callback queries, the edited `Message` as the result of edits. Tests act as users (text,
button presses, locations, contacts, photos), read what the bot sent, and inject faults: 429 with
`retry_after`, 403 "bot was blocked by the user", 5xx, slow answers.

Group chats behave like Telegram's: people add the bot to a group and remove it (`my_chat_member`
updates), type commands there (the bot is in privacy mode: it sees commands and mentions, not
chatter) and upgrade a group to a supergroup (a new chat id, announced by service messages).
The bot's messages to a group it is not in get 403, to a migrated group's old id 400 with
`migrate_to_chat_id`, and more than 20 a minute to one group 429; each refusal is recorded in
`refusals`. `getUpdates` honours `allowed_updates`, so updates the bot did not ask for never
reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_USER = {"id": 999000, "is_bot": True, "first_name": "Pos UKK", "username": "PosUkkBot"}
JSON_FIELDS = frozenset(
    {"reply_markup", "commands", "scope", "allowed_updates", "link_preview_options"}
)
DEFAULT_UPDATES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "inline_query",
    "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
    "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_join_request",
    "chat_boost", "removed_chat_boost",
})  # fmt: skip
"""What a bot gets when it gives an empty `allowed_updates`: all but `chat_member`,
`message_reaction` and `message_reaction_count`."""
GROUP_MESSAGES_PER_MINUTE = 20
"""Telegram's limit on the bot's messages to one group chat."""
KICKED = "Forbidden: bot was kicked from the group chat"
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"


class ApiError(Exception):
    """A method refusing its parameters the way the Bot API does (400 with a description, and
    `parameters` such as `retry_after` or `migrate_to_chat_id` where Telegram gives them)."""

    def __init__(
        self, description: str, status: int = 400, parameters: dict[str, int] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)


class Upload(bytes):
    """A file part of a multipart call: its bytes, and the file name the client gave it."""

    filename: str

    @classmethod
    def of(cls, part: web.FileField) -> Upload:
        upload = cls(part.file.read())
        upload.filename = part.filename
        return upload


@dataclass
class Fault:
    """An error answer for the next `count` calls of `method` (to `chat_id`, if given)."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    count: int = 1
    chat_id: int | None = None


@dataclass
class FakeUser:
    id: int
    first_name: str
    language_code: str = "id"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }


@dataclass(frozen=True)
class FakeGroupChat:
    """A group chat people share; Telegram gives groups negative ids (supergroups -100...)."""

    id: int
    title: str
    type: Literal["group", "supergroup"] = "group"

    def __post_init__(self) -> None:
        if self.id >= 0:
            raise ValueError("a group chat's id is negative")

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    """When it was answered (after any delay or hang)."""
    received: float = field(default_factory=time.monotonic)
    """When the request came in (the moment Telegram counts against its limits)."""


@dataclass
class Refusal:
    """A call to a group chat Telegram refused (not in `calls`: nothing reached the chat)."""

    method: str
    chat_id: int
    status: int
    description: str
    parameters: dict[str, int] | None = None
    at: float = field(default_factory=time.monotonic)


def _bot_member(status: str) -> dict[str, Any]:
    """The bot as a `ChatMember` of a group chat with `status`."""
    member: dict[str, Any] = {"user": BOT_USER, "status": status}
    if status == "kicked":
        member["until_date"] = 0  # banned for good
    elif status == "administrator":
        rights = (
            "is_anonymous can_manage_chat can_delete_messages can_manage_video_chats"
            " can_restrict_members can_promote_members can_change_info can_invite_users"
            " can_post_stories can_edit_stories can_delete_stories can_pin_messages"
        )
        member |= {"can_be_edited": False} | dict.fromkeys(rights.split(), False)
        member["can_manage_chat"] = True
    return member


class FakeTelegram:
    """The server state; `url` is the base URL to give python-telegram-bot."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.polls = 0
        """How many times the bot has asked for updates: it is serving once this grows."""
        self.updates: list[dict[str, Any]] = []
        self.confirmed_below = 1
        """Updates with a lower id were confirmed (a `getUpdates` with a higher `offset`): like
        Telegram, the fake never delivers them again, not even to a restarted bot."""
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.files: dict[str, bytes] = {}
        self.documents: list[tuple[str, bytes]] = []
        self.photos: list[tuple[str, bytes]] = []
        """Pictures the bot uploaded (file name and bytes), as `documents` holds its files."""
        self.faults: list[Fault] = []
        self.delays: dict[str, float] = {}
        self.hanging: set[str] = set()
        self.refused: list[Call] = []
        """Calls answered with an injected fault (`faults`), as they were answered."""
        self.under_way = 0
        """Calls (other than `getUpdates`) received and not answered yet."""
        self.most_under_way = 0
        self.most_under_way_to_one_chat = 0
        self._under_way_to: dict[int, int] = {}
        """Methods whose calls get no answer until `release()` (a bot killed meanwhile)."""
        self._released = asyncio.Event()
        self.webhook: dict[str, Any] | None = None
        self.allowed_updates: frozenset[str] | None = None
        """What the bot last asked `getUpdates` for (Telegram keeps it between calls); None
        until it asks, and empty if it asked for the default (`DEFAULT_UPDATES`)."""
        self.group_chats: dict[int, FakeGroupChat] = {}
        self.refusals: list[Refusal] = []
        self._bot_status: dict[int, str] = {}
        """The bot's status in each group chat it has been in: "member", "left" or "kicked"."""
        self._migrated: dict[int, int] = {}
        self._group_sends: dict[int, list[float]] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def open_connections(self) -> int:
        """Connections from clients the server holds open (kept alive between calls)."""
        server = self._runner.server if self._runner is not None else None
        return len(server.connections) if server is not None else 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- acting as users ------------------------------------------------------------------
    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = next(self._update_ids)
        self.updates.append(update)
        self._new_update.set()
        return update

    def _user_message(self, user: FakeUser, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_dict(),
            **content,
        }
        return self._push({"message": message})

    def send_text(self, user: FakeUser, text: str) -> dict[str, Any]:
        entities = []
        if text.startswith("/"):
            length = len(text.split()[0])
            entities = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._user_message(user, text=text, **({"entities": entities} if entities else {}))

    def share_location(self, user: FakeUser, latitude: float, longitude: float) -> dict[str, Any]:
        return self._user_message(user, location={"latitude": latitude, "longitude": longitude})

    def share_contact(self, user: FakeUser, phone: str) -> dict[str, Any]:
        contact = {"phone_number": phone, "first_name": user.first_name, "user_id": user.id}
        return self._user_message(user, contact=contact)

    def send_photo(
        self, user: FakeUser, content: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        file_id = f"photo-{len(self.files) + 1}"
        self.files[file_id] = content
        size = {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 640, "height": 480,
                "file_size": len(content)}  # fmt: skip
        extra = {"caption": caption} if caption else {}
        return self._user_message(user, photo=[size], **extra)

    def send_media(self, user: FakeUser, kind: str) -> dict[str, Any]:
        """A voice note, audio, video, round video, animation, document, sticker or dice, as
        Telegram describes it (the file itself is never downloaded by the bot)."""
        number = len(self.files) + 1
        file = {"file_id": f"{kind}-{number}", "file_unique_id": f"u{kind}{number}"}
        contents: dict[str, dict[str, Any]] = {
            "voice": {**file, "duration": 3, "mime_type": "audio/ogg"},
            "audio": {**file, "duration": 60, "mime_type": "audio/mpeg"},
            "video": {**file, "width": 640, "height": 480, "duration": 5},
            "video_note": {**file, "length": 240, "duration": 5},
            "animation": {**file, "width": 320, "height": 240, "duration": 2},
            "document": {**file, "file_name": "surat.pdf", "mime_type": "application/pdf"},
            "sticker": {**file, "width": 512, "height": 512, "is_animated": False,
                        "is_video": False, "type": "regular"},
            "dice": {"emoji": "🎲", "value": 3},
        }  # fmt: skip
        self.files[file["file_id"]] = b"not downloaded"
        return self._user_message(user, **{kind: contents[kind]})

    def edit(self, user: FakeUser, sent: dict[str, Any], text: str) -> dict[str, Any]:
        """The user edits a message they sent (`sent`, an update from `send_text`)."""
        message = {**sent["message"], "text": text, "edit_date": int(time.time()) + 1}
        return self._push({"edited_message": message})

    def react(self, user: FakeUser, message: dict[str, Any], emoji: str) -> dict[str, Any]:
        """The user puts an emoji on one of the bot's messages."""
        reaction = {
            "chat": message["chat"],
            "message_id": message["message_id"],
            "user": user.as_dict(),
            "date": int(time.time()),
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": emoji}],
        }
        return self._push({"message_reaction": reaction})

    def push_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Any update, even one no library can read."""
        return self._push(update)

    def press(self, user: FakeUser, message: dict[str, Any], data: str) -> dict[str, Any]:
        query = {
            "id": str(next(self._callback_ids)),
            "from": user.as_dict(),
            "message": message,
            "chat_instance": f"ci-{message['chat']['id']}",
            "data": data,
        }
        return self._push({"callback_query": query})

    # -- acting in group chats ------------------------------------------------------------
    def _member_update(
        self, chat: FakeGroupChat, by: FakeUser, new: str, *, announce: bool = True
    ) -> dict[str, Any]:
        old = self._bot_status.get(chat.id, "left")
        self._bot_status[chat.id] = new
        change = {
            "chat": chat.as_dict(),
            "from": by.as_dict(),
            "date": int(time.time()),
            "old_chat_member": _bot_member(old),
            "new_chat_member": _bot_member(new),
        }
        update = {"my_chat_member": change}
        return self._push(update) if announce else update

    def add_bot(self, chat: FakeGroupChat, by: FakeUser, *, admin: bool = False) -> dict[str, Any]:
        """`by` adds the bot to `chat`, as a plain member or as an administrator (who, unlike a
        member in privacy mode, gets every message in the chat)."""
        self.group_chats[chat.id] = chat
        return self._member_update(chat, by, "administrator" if admin else "member")

    def remove_bot(
        self,
        chat: FakeGroupChat,
        by: FakeUser,
        status: Literal["left", "kicked"] = "left",
        *,
        announce: bool = True,
    ) -> dict[str, Any]:
        """`by` removes the bot from `chat`; "kicked" also bans it from coming back.

        Without `announce` the bot never gets the `my_chat_member` update, as after more than a
        day offline (Telegram keeps updates for 24 hours): it learns of it when a post is refused.
        """
        return self._member_update(chat, by, status, announce=announce)

    def bot_in(self, chat_id: int) -> bool:
        """Whether the bot is in the group chat `chat_id` now."""
        return self._bot_status.get(chat_id) in ("member", "administrator")

    def send_group_text(self, user: FakeUser, chat: FakeGroupChat, text: str) -> dict[str, Any]:
        """`user` writes `text` in `chat`; the update reaches the bot only where Telegram would
        deliver it: the bot is in the chat, and is an administrator there, or (privacy mode) the
        text is a command for any bot or for this one (`/cmd@PosUkkBot`), or mentions it."""
        entities = []
        command = text.split()[0] if text.startswith("/") and text.split() else ""
        if command:
            entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat.as_dict(),
            "from": user.as_dict(),
            "text": text,
            **({"entities": entities} if entities else {}),
        }
        mine = f"@{BOT_USER['username']}"
        addressed = command and ("@" not in command or command.endswith(mine))
        admin = self._bot_status.get(chat.id) == "administrator"
        if self.bot_in(chat.id) and (admin or addressed or mine in text):
            self._push({"message": message})
        return message

    def migrate(
        self, chat: FakeGroupChat, new_id: int, *, by: FakeUser, announce: bool = True
    ) -> FakeGroupChat:
        """`by` upgrades the group `chat` to a supergroup with the id `new_id`; the bot stays in.

        With `announce`, push what Telegram pushes (`announce_migration`); without, the bot only
        learns of it from the error when it next writes to the old id.
        """
        if chat.type != "group":
            raise ValueError("only a basic group becomes a supergroup")
        supergroup = FakeGroupChat(new_id, chat.title, "supergroup")
        self.group_chats[new_id] = supergroup
        self._migrated[chat.id] = new_id
        if self.bot_in(chat.id):
            self._bot_status[new_id] = self._bot_status[chat.id]
            self._bot_status[chat.id] = "left"
        if announce:
            self.announce_migration(chat, by=by)
        return supergroup

    def announce_migration(self, chat: FakeGroupChat, *, by: FakeUser) -> list[dict[str, Any]]:
        """The updates of a migration, for a bot in the group: `migrate_to_chat_id` in the old
        group, the bot joining the supergroup (a `my_chat_member` update, though it never left:
        tdlib/telegram-bot-api#266), then `migrate_from_chat_id` in the supergroup."""
        supergroup = self.group_chats[self._migrated[chat.id]]
        if not self.bot_in(supergroup.id):
            return []

        def service(where: FakeGroupChat, **content: int) -> dict[str, Any]:
            return {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": where.as_dict(),
                "from": by.as_dict(),
                **content,
            }

        joined = {
            "chat": supergroup.as_dict(),
            "from": by.as_dict(),
            "date": int(time.time()),
            "old_chat_member": _bot_member("left"),
            "new_chat_member": _bot_member(self._bot_status[supergroup.id]),
        }
        return [
            self._push({"message": service(chat, migrate_to_chat_id=supergroup.id)}),
            self._push({"my_chat_member": joined}),
            self._push({"message": service(supergroup, migrate_from_chat_id=chat.id)}),
        ]

    # -- reading what the bot did ---------------------------------------------------------
    def sent(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        return [
            call
            for call in self.calls
            if (method is None or call.method == method)
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    def texts_to(self, chat_id: int) -> list[str]:
        """What the bot showed the chat, in order: each message's text as sent, and each text
        edited into a message (a press answered in the pressed message, a progress update)."""
        shown = ("sendMessage", "editMessageText")
        return [str(c.params["text"]) for c in self.sent(chat_id) if c.method in shown]

    def last_message_to(self, chat_id: int) -> dict[str, Any]:
        mine = [m for (chat, _), m in self.messages.items() if chat == chat_id]
        return mine[-1]

    def buttons(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", [])
        return [(b["text"], b["callback_data"]) for row in rows for b in row]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until `predicate()` holds, polling the recorded calls."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not do what the test waited for")
            await asyncio.sleep(0.01)

    def release(self) -> None:
        """Answer the calls left hanging, and stop hanging new ones."""
        self.hanging.clear()
        self._released.set()
        self._released = asyncio.Event()

    # -- the Bot API ----------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for name, value in form.items():
                params[name] = Upload.of(value) if isinstance(value, web.FileField) else value
        elif request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(await request.post())
        for name in JSON_FIELDS & params.keys():
            if isinstance(params[name], str):
                params[name] = json.loads(params[name])
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        received = time.monotonic()
        params = await self._params(request)
        if method != "getUpdates":
            with self._counted(int(params.get("chat_id") or 0)):
                delay = self.delays.get(method)
                if delay:
                    await asyncio.sleep(delay)
                if method in self.hanging:
                    await self._released.wait()
            fault = self._take_fault(method, params)
            if fault is not None:
                self.refused.append(Call(method, params, received=received))
                retry = None if fault.retry_after is None else {"retry_after": fault.retry_after}
                error = ApiError(fault.description, fault.status, retry)
                return web.json_response(error.body(), status=fault.status)
            refused = self._group_refusal(method, params)
            if refused is not None:
                self.refusals.append(
                    Refusal(method, int(params["chat_id"]), refused.status, refused.description,
                            refused.parameters)
                )  # fmt: skip
                return web.json_response(refused.body(), status=refused.status)
            self.calls.append(Call(method, params, received=received))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        try:
            result = await handler(params)
        except ApiError as error:
            return web.json_response(error.body(), status=error.status)
        if method.startswith("send") and int(params.get("chat_id") or 0) < 0:
            self._group_sends.setdefault(int(params["chat_id"]), []).append(time.monotonic())
        return web.json_response({"ok": True, "result": result})

    @contextlib.contextmanager
    def _counted(self, chat_id: int) -> Iterator[None]:
        """Count a call as under way while it is delayed or held (overall and per chat)."""
        self.under_way += 1
        self._under_way_to[chat_id] = self._under_way_to.get(chat_id, 0) + 1
        self.most_under_way = max(self.most_under_way, self.under_way)
        if chat_id:
            to_chat = self._under_way_to[chat_id]
            self.most_under_way_to_one_chat = max(self.most_under_way_to_one_chat, to_chat)
        try:
            yield
        finally:
            self.under_way -= 1
            self._under_way_to[chat_id] -= 1

    def _group_refusal(self, method: str, params: dict[str, Any]) -> ApiError | None:
        """Telegram's answer to the bot writing to a group chat it may not write to now."""
        chat_id = int(params.get("chat_id") or 0)
        if chat_id >= 0:
            return None
        if chat_id in self._migrated:
            return ApiError(UPGRADED, parameters={"migrate_to_chat_id": self._migrated[chat_id]})
        if chat_id not in self.group_chats:
            return ApiError("Bad Request: chat not found")
        if not self.bot_in(chat_id):
            return ApiError(KICKED, 403)
        if not method.startswith("send"):
            return None
        now = time.monotonic()
        recent = [at for at in self._group_sends.get(chat_id, []) if at > now - 60]
        self._group_sends[chat_id] = recent
        if len(recent) >= GROUP_MESSAGES_PER_MINUTE:
            retry_after = max(1, math.ceil(recent[0] + 60 - now))
            return ApiError(
                f"Too Many Requests: retry after {retry_after}",
                429,
                {"retry_after": retry_after},
            )
        return None

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            matches_chat = fault.chat_id is None or str(fault.chat_id) == str(params.get("chat_id"))
            if fault.method == method and matches_chat:
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])

    def _bot_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        group = self.group_chats.get(chat_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": group.as_dict() if group else {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            **content,
        }
        if "reply_markup" in params and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.polls += 1
        offset = int(params.get("offset") or 0)
        if offset < 0:  # the last -offset updates; all earlier ones are forgotten
            kept = self.updates[offset:]
            offset = kept[0]["update_id"] if kept else self.confirmed_below
        self.confirmed_below = max(self.confirmed_below, offset)
        timeout = float(params.get("timeout") or 0)
        if params.get("allowed_updates") is not None:
            self.allowed_updates = frozenset(params["allowed_updates"])
        allowed = self.allowed_updates or DEFAULT_UPDATES
        deadline = time.monotonic() + timeout
        while True:
            pending = [
                u
                for u in self.updates
                if u["update_id"] >= self.confirmed_below and allowed & u.keys()
            ]
            if pending or time.monotonic() >= deadline:
                return pending[: int(params.get("limit") or 100)]
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._new_update.wait(), max(0.0, deadline - time.monotonic())
                )

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = str(params["text"])
        if not 1 <= len(text) <= 4096:
            raise web.HTTPBadRequest(text="message text is empty or too long")
        return self._bot_message(params, text=text)

    async def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        self.documents.append(_upload(params["document"]))
        number = len(self.documents)
        return self._bot_message(
            params, document={"file_id": f"doc{number}", "file_unique_id": f"d{number}"}
        )

    async def _edited(self, params: dict[str, Any], **changes: Any) -> dict[str, Any]:
        key = (int(params["chat_id"]), int(params["message_id"]))
        message = self.messages.get(key)
        if message is None:
            raise ApiError("Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if all(message.get(k) == v for k, v in changes.items()) and (
            message.get("reply_markup") == (markup or None)
        ):
            raise ApiError(NOT_MODIFIED)
        message.update(changes, edit_date=int(time.time()))
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    async def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._edited(params, text=str(params["text"]))

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._edited(params)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, str(params.get("language_code") or ""))] = params["commands"]
        return True

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        size = len(self.files[file_id])
        path = f"photos/{file_id}"
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": size,
            "file_path": path,
        }

    async def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        if isinstance(params["photo"], Upload):  # not a file id or a URL
            self.photos.append(_upload(params["photo"]))
        return self._bot_message(
            params, photo=[{"file_id": "sent", "file_unique_id": "s", "width": 1, "height": 1}]
        )

    async def _api_sendLocation(self, params: dict[str, Any]) -> dict[str, Any]:
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        return self._bot_message(params, location=location)

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        url = (self.webhook or {}).get("url", "")
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}


def _upload(part: Upload | str | bytes) -> tuple[str, bytes]:
    """A file sent in a multipart form: its name and its bytes."""
    if isinstance(part, Upload):
        return part.filename, bytes(part)
    return "", part.encode() if isinstance(part, str) else bytes(part)  # a part without a type
