"""A local WhatsApp Cloud API (Meta Graph API) for tests and benchmarks.

It speaks what pywa 4.5 sends and parses: `POST /v{version}/{phone_id}/messages` with a JSON body
(`to` for a phone number, `recipient` for a business-scoped user id), multipart media uploads to
`/v{version}/{phone_id}/media`, `GET /v{version}/{media_id}` for a media URL, and a download of
that URL with the bearer token. It enforces Meta's limits on texts, reply buttons and lists, and
refuses with Meta's error JSON (`{"error": {"message", "type", "code", "error_data",
"fbtrace_id"}}`) so that pywa raises its typed errors.

Tests act as users (webhook bodies of the real shapes, signed with the app secret as Meta signs
them), read what the bot sent, and inject faults: the re-engagement error outside the 24-hour
window (131047), throughput (130429), too many messages to one user (131056), undeliverable
(131026), "something went wrong" (131000, HTTP 500), slow answers. On request the fake also posts
`sent` and `delivered` status webhooks for every accepted message, as Meta does.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

PHONE_ID: Final = "1234567890"
"""The business phone number id the bot sends from (`metadata.phone_number_id` in webhooks)."""
DISPLAY_PHONE_NUMBER: Final = "6281100001111"
WABA_ID: Final = "102290129340398"
"""The WhatsApp Business Account id (`entry[0].id` in webhooks)."""
TOKEN: Final = "EAAPosUKK-fake-access-token"
APP_SECRET: Final = "posukk-fake-app-secret"
VERIFY_TOKEN: Final = "posukk-fake-verify-token"

TEXT_MAX: Final = 4096
BODY_MAX: Final = 1024
"""Body of an interactive message, and the caption of a media message."""
HEADER_MAX: Final = 60
FOOTER_MAX: Final = 60
BUTTONS_MAX: Final = 3
BUTTON_TITLE_MAX: Final = 20
BUTTON_ID_MAX: Final = 256
LIST_BUTTON_MAX: Final = 20
LIST_ROWS_MAX: Final = 10
LIST_SECTIONS_MAX: Final = 10
ROW_TITLE_MAX: Final = 24
ROW_DESCRIPTION_MAX: Final = 72
ROW_ID_MAX: Final = 200
SECTION_TITLE_MAX: Final = 24
MEDIA_MAX_BYTES: Final = {
    "image": 5 * 1024 * 1024,
    "video": 16 * 1024 * 1024,
    "audio": 16 * 1024 * 1024,
    "sticker": 500 * 1024,
    "document": 100 * 1024 * 1024,
}
SERVICE_WINDOW: Final = 24 * 60 * 60
"""Seconds a user's message keeps the customer service window open."""

MESSAGE_TYPES: Final = frozenset({
    "text", "interactive", "image", "document", "video", "audio", "sticker", "template",
    "location", "reaction", "contacts",
})  # fmt: skip
MEDIA_TYPES: Final = frozenset({"image", "document", "video", "audio", "sticker"})
INTERACTIVE_TYPES: Final = frozenset({
    "button", "list", "location_request_message", "cta_url", "flow", "product", "product_list",
    "catalog_message", "voice_call", "call_permission_request", "address_message",
})  # fmt: skip
StatusName = Literal["sent", "delivered", "read", "played", "failed"]
STATUSES: Final = ("sent", "delivered", "read", "played", "failed")
ERRORS: Final[dict[int, tuple[str, str]]] = {
    100: ("Invalid parameter", "Invalid parameter."),
    190: ("Invalid OAuth access token - Cannot parse access token", ""),
    2500: ("Unknown path components", ""),
    130429: ("Rate limit hit", "Cloud API message throughput has been reached."),
    131000: ("Something went wrong", "Message failed to send due to an unknown error."),
    131009: ("Parameter value is not valid", "Parameter value is not valid."),
    131026: (
        "Message undeliverable",
        "Unable to deliver message. Reasons can include: the recipient phone number is not a"
        " WhatsApp phone number; the recipient has not accepted the new Terms of Service; the"
        " recipient uses an old WhatsApp version.",
    ),
    131047: (
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last"
        " replied to this number.",
    ),
    131048: (
        "Spam rate limit hit",
        "Message failed to send because there are restrictions on how many messages can be sent"
        " from this phone number.",
    ),
    131051: ("Message type unknown", "Message type is currently not supported."),
    131053: ("Media upload error", "Unable to upload the media used in the message."),
    131056: (
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient phone number"
        " in a short period of time.",
    ),
    132001: (
        "Template name does not exist in the translation",
        "The template does not exist in the specified language or has not been approved.",
    ),
}
"""Meta's title and details for the error codes the fake answers with."""
ERROR_HREF: Final = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"

_BSUID = re.compile(r"^[A-Z]{2}\.\d+$")
_PARENT_BSUID = re.compile(r"^[A-Z]{2}\.ENT\.\d+$")
_PHONE_NOISE = re.compile(r"[+\-\s()]")


def sign(raw: bytes, secret: str = APP_SECRET) -> str:
    """The `X-Hub-Signature-256` header Meta sends with a webhook body."""
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def _phone_digits(value: str) -> str | None:
    """The digits of a phone number written as `+62 812-...`, or None if it is not one."""
    digits = _PHONE_NOISE.sub("", value)
    return digits if digits.isdigit() else None


def _fbtrace_id() -> str:
    return "A" + secrets.token_urlsafe(16)


class GraphError(Exception):
    """A Graph API refusal, answered as Meta answers it: HTTP `status` and `{"error": {...}}`."""

    def __init__(
        self,
        code: int,
        details: str | None = None,
        *,
        status: int = 400,
        message: str | None = None,
        type: str = "OAuthException",
        subcode: int | None = None,
    ) -> None:
        title = ERRORS.get(code, ("Error", ""))[0]
        self.code = code
        self.status = status
        self.message = message or f"(#{code}) {title}"
        self.details = details
        self.type = type
        self.subcode = subcode
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = _fbtrace_id()
        return {"error": error}


def _invalid(details: str) -> GraphError:
    """Meta's answer to an interactive message breaking a limit (pywa: `InvalidParameter`)."""
    return GraphError(131009, details)


def _bad_param(details: str) -> GraphError:
    """Meta's answer to a malformed or missing parameter (pywa: plain `WhatsAppError`)."""
    return GraphError(100, details)


@dataclass(frozen=True)
class FakeWhatsAppUser:
    """A WhatsApp user as Meta shows them to one business: a business-scoped user id (BSUID,
    `contacts[0].user_id`, always there) and the phone number (`wa_id`, None when the user hides
    it behind a username)."""

    bsuid: str
    wa_id: str | None
    name: str

    def __post_init__(self) -> None:
        if not _BSUID.fullmatch(self.bsuid):
            raise ValueError(f"a BSUID looks like 'ID.1234567890', not {self.bsuid!r}")
        if self.wa_id is not None and not self.wa_id.isdigit():
            raise ValueError(f"a wa_id is the phone number in digits, not {self.wa_id!r}")

    def contact(self) -> dict[str, Any]:
        """The user in a webhook's `value.contacts`."""
        contact: dict[str, Any] = {"profile": {"name": self.name}}
        if self.wa_id:
            contact["wa_id"] = self.wa_id
        contact["user_id"] = self.bsuid
        return contact


@dataclass
class Sent:
    """A message the fake accepted. `to` is the recipient as the bot gave it: a phone number in
    `to`, or a BSUID in `recipient`."""

    to: str
    type: str
    body: dict[str, Any]
    wamid: str
    at: float = field(default_factory=time.monotonic)

    @property
    def content(self) -> dict[str, Any]:
        """The part named by the type, e.g. `{"body": ..., "preview_url": ...}` for text."""
        content = self.body.get(self.type)
        return content if isinstance(content, dict) else {}

    @property
    def text(self) -> str | None:
        """The text a user reads: text body, interactive body, or media caption."""
        if self.type == "text":
            return str(self.content.get("body"))
        if self.type == "interactive":
            body = self.content.get("body") or {}
            return str(body["text"]) if "text" in body else None
        caption = self.content.get("caption")
        return str(caption) if caption is not None else None


@dataclass
class Refusal:
    """A send the fake refused: broken (Meta's limits), outside the service window, or an
    injected fault (`injected`)."""

    to: str
    type: str
    body: dict[str, Any]
    code: int
    status: int
    message: str
    details: str | None
    injected: bool = False
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """An error answer for the next `count` sends (to `to`, if given)."""

    code: int
    status: int
    message: str
    details: str
    count: int = 1
    to: str | None = None


@dataclass
class Read:
    """A mark-as-read of a user's message (`typing` when it also showed the typing indicator)."""

    message_id: str
    typing: bool = False
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeMedia:
    """A media file the fake holds: uploaded by the bot, or sent by a user (`uploaded=False`)."""

    id: str
    content: bytes
    mime_type: str
    filename: str | None = None
    uploaded: bool = True

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Delivery:
    """A webhook POST the fake made to the bot, and the bot's answer (status 0: no connection)."""

    url: str
    raw: bytes
    status: int
    text: str
    at: float = field(default_factory=time.monotonic)

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class _Computed(enum.Enum):
    SIGNATURE = "computed"


COMPUTED: Final = _Computed.SIGNATURE
"""`post(signature=COMPUTED)`: sign the raw body with the secret, as Meta does."""


class FakeWhatsApp:
    """The server state; `base_url` is where a transport should send `https://graph.facebook.com`
    requests (keeping the path, e.g. `/v26.0/1234567890/messages`)."""

    PHONE_ID: Final = PHONE_ID
    TOKEN: Final = TOKEN
    APP_SECRET: Final = APP_SECRET
    VERIFY_TOKEN: Final = VERIFY_TOKEN
    WABA_ID: Final = WABA_ID

    def __init__(self) -> None:
        self.token = TOKEN
        self.messages: list[Sent] = []
        """Every accepted message, in order."""
        self.refusals: list[Refusal] = []
        self.reads: list[Read] = []
        self.media: dict[str, FakeMedia] = {}
        self.deliveries: list[Delivery] = []
        """Every webhook POST the fake made (by `post`, and the automatic statuses)."""
        self.users: dict[str, FakeWhatsAppUser] = {}
        """Known users by BSUID and by wa_id (the builders add them)."""
        self.faults: list[Fault] = []
        self.delay = 0.0
        """Seconds to wait before answering any Graph API request (slow answers)."""
        self.hanging = False
        """Leave every Graph API request unanswered until `release()` (a bot killed meanwhile)."""
        self._released = asyncio.Event()
        self.enforce_window = False
        """Refuse non-template messages with 131047 to users who did not write (a webhook posted
        by `post`) within the last 24 hours, by the wall clock."""
        self.approved_templates: set[str] | None = None
        """If set, templates by any other name are refused with 132001."""
        self.media_host: str | None = None
        """If set (e.g. "https://lookaside.fbsbx.com"), media URLs use this host instead of
        `base_url`, as Meta's do; the transport must then send that host to the fake too."""
        self.port = 0
        self._last_inbound: dict[str, float] = {}
        self._status_url: str | None = None
        self._auto_statuses: tuple[StatusName, ...] = ()
        self._tasks: set[asyncio.Task[None]] = set()
        self._counter = itertools.count(1)
        self._media_ids = itertools.count(10**15 + secrets.randbelow(10**14) * 10)
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(
            client_max_size=MEDIA_MAX_BYTES["document"] + 1024 * 1024,
            middlewares=[self._graph_middleware],
        )
        version = r"/v{version:\d+\.\d+}"
        app.router.add_post(version + "/{node}/messages", self._api_messages)
        app.router.add_post(version + "/{node}/media", self._api_upload)
        app.router.add_get(version + "/{node}", self._api_node)
        app.router.add_delete(version + "/{node}", self._api_delete_media)
        app.router.add_get("/whatsapp_business/attachments/", self._download)
        app.router.add_route("*", "/{tail:.*}", self._unknown_path)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults ---------------------------------------------------------------------------
    def fail(
        self,
        code: int,
        *,
        count: int = 1,
        to: str | FakeWhatsAppUser | None = None,
        http_status: int | None = None,
        message: str | None = None,
        details: str | None = None,
    ) -> Fault:
        """Refuse the next `count` valid sends (to `to`, if given) with Meta's error `code`.

        `http_status` defaults to 500 for 131000 ("something went wrong") and 400 otherwise;
        `message` and `details` default to Meta's texts for the code.
        """
        title, default_details = ERRORS.get(code, ("Error", ""))
        who = to.bsuid if isinstance(to, FakeWhatsAppUser) else to
        if isinstance(to, FakeWhatsAppUser):
            self.add_user(to)
        fault = Fault(
            code=code,
            status=http_status or (500 if code == 131000 else 400),
            message=message or f"(#{code}) {title}",
            details=details if details is not None else default_details,
            count=count,
            to=who,
        )
        self.faults.append(fault)
        return fault

    def _take_fault(self, recipient: str) -> Fault | None:
        for fault in self.faults:
            if fault.to is None or self.same_user(fault.to, recipient):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # -- users and media ------------------------------------------------------------------
    def add_user(self, user: FakeWhatsAppUser) -> FakeWhatsAppUser:
        self.users[user.bsuid] = user
        if user.wa_id:
            self.users[user.wa_id] = user
        return user

    def _identities(self, who: str | FakeWhatsAppUser) -> set[str]:
        """The ids one person goes by: BSUID, wa_id, and the phone number as written."""
        if isinstance(who, FakeWhatsAppUser):
            user: FakeWhatsAppUser | None = who
            ids = {who.bsuid}
        else:
            digits = _phone_digits(who)
            ids = {who} | ({digits} if digits else set())
            user = self.users.get(who) or (self.users.get(digits) if digits else None)
        if user is not None:
            ids |= {user.bsuid} | ({user.wa_id} if user.wa_id else set())
        return ids

    def same_user(self, a: str | FakeWhatsAppUser, b: str | FakeWhatsAppUser) -> bool:
        """Whether two ids (BSUID, wa_id, phone number) name the same known user."""
        return bool(self._identities(a) & self._identities(b))

    def _user_for(self, who: str | FakeWhatsAppUser) -> FakeWhatsAppUser:
        if isinstance(who, FakeWhatsAppUser):
            return self.add_user(who)
        digits = _phone_digits(who)
        known = self.users.get(who) or (self.users.get(digits) if digits else None)
        if known is not None:
            return known
        if _BSUID.fullmatch(who):
            return self.add_user(FakeWhatsAppUser(who, None, ""))
        if digits:  # an unknown number: give it a stable made-up BSUID
            return self.add_user(FakeWhatsAppUser(f"ID.{digits}", digits, ""))
        raise ValueError(f"not a BSUID or a phone number: {who!r}")

    def add_media(
        self,
        content: bytes,
        mime_type: str = "image/jpeg",
        filename: str | None = None,
        *,
        uploaded: bool = False,
    ) -> str:
        """Keep a media file (e.g. a user's photo) and return its media id (digits, as Meta's)."""
        media = FakeMedia(str(next(self._media_ids)), content, mime_type, filename, uploaded)
        self.media[media.id] = media
        return media.id

    def media_url(self, media_id: str) -> str:
        """Where the media can be downloaded, with the bearer token (Meta: valid 5 minutes)."""
        host = self.media_host or self.base_url
        media = self.media[media_id]
        ext = media.sha256[:12]
        return f"{host}/whatsapp_business/attachments/?mid={media_id}&ext={ext}&hash={ext[::-1]}"

    @property
    def uploads(self) -> list[FakeMedia]:
        """The media the bot uploaded, in order."""
        return [media for media in self.media.values() if media.uploaded]

    def media_of(self, message: Sent) -> FakeMedia | None:
        """The uploaded file a media message (or an interactive one's media header) refers to."""
        media = message.content
        if message.type == "interactive":
            header = media.get("header") or {}
            media = header.get(header.get("type", ""), {})
        media_id = media.get("id") if isinstance(media, dict) else None
        return self.media.get(str(media_id)) if media_id is not None else None

    # -- acting as users: webhook bodies --------------------------------------------------
    def _new_wamid(self) -> str:
        raw = f"{PHONE_ID}{next(self._counter):010d}{secrets.token_hex(8).upper()}"
        return "wamid." + base64.b64encode(raw.encode()).decode()

    def _envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        metadata = {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": PHONE_ID}
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA_ID,
                    "changes": [
                        {
                            "value": {"messaging_product": "whatsapp", "metadata": metadata}
                            | value,
                            "field": "messages",
                        }
                    ],
                }
            ],
        }

    def _user_message(
        self,
        user: FakeWhatsAppUser,
        type: str,
        content: dict[str, Any] | None,
        *,
        context: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        self.add_user(user)
        message: dict[str, Any] = {}
        if context is not None:
            message["context"] = context
        if user.wa_id:
            message["from"] = user.wa_id
        message["from_user_id"] = user.bsuid
        message |= {"id": self._new_wamid(), "timestamp": str(int(time.time())), "type": type}
        if content is not None:
            message[type] = content
        message |= extra
        return self._envelope({"contacts": [user.contact()], "messages": [message]})

    def _reply_context(self, user: FakeWhatsAppUser, reply_to: Sent | str | None) -> dict[str, Any]:
        """The `context` of a button or list reply: the message whose button was pressed (by
        default the last interactive message to the user)."""
        if isinstance(reply_to, Sent):
            wamid = reply_to.wamid
        elif reply_to is not None:
            wamid = reply_to
        else:
            mine = self.sent(user, "interactive")
            wamid = mine[-1].wamid if mine else self._new_wamid()
        return {"from": DISPLAY_PHONE_NUMBER, "id": wamid}

    def text(self, user: FakeWhatsAppUser, text: str) -> dict[str, Any]:
        return self._user_message(user, "text", {"body": text})

    def button_reply(
        self, user: FakeWhatsAppUser, id: str, title: str, *, reply_to: Sent | str | None = None
    ) -> dict[str, Any]:
        """The user presses the reply button `id` (of `reply_to`, default: the last interactive
        message sent to them)."""
        interactive = {"type": "button_reply", "button_reply": {"id": id, "title": title}}
        context = self._reply_context(user, reply_to)
        return self._user_message(user, "interactive", interactive, context=context)

    def list_reply(
        self,
        user: FakeWhatsAppUser,
        id: str,
        title: str,
        description: str = "",
        *,
        reply_to: Sent | str | None = None,
    ) -> dict[str, Any]:
        """The user picks the list row `id`."""
        row = {"id": id, "title": title} | ({"description": description} if description else {})
        interactive = {"type": "list_reply", "list_reply": row}
        context = self._reply_context(user, reply_to)
        return self._user_message(user, "interactive", interactive, context=context)

    def location(
        self,
        user: FakeWhatsAppUser,
        lat: float,
        lon: float,
        name: str | None = None,
        address: str | None = None,
    ) -> dict[str, Any]:
        """The user shares a location (a named place when `name` is given)."""
        place: dict[str, Any] = {"latitude": lat, "longitude": lon}
        if name is not None:
            place["name"] = name
        if address is not None:
            place["address"] = address
        return self._user_message(user, "location", place)

    def image(
        self,
        user: FakeWhatsAppUser,
        content: bytes,
        caption: str | None = None,
        *,
        mime_type: str = "image/jpeg",
        with_url: bool = True,
    ) -> dict[str, Any]:
        """The user sends a photo; the fake keeps the bytes under a new media id. With
        `with_url` (webhooks v24+) the body also carries the download URL."""
        media_id = self.add_media(content, mime_type)
        image: dict[str, Any] = {
            "mime_type": mime_type,
            "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
            "id": media_id,
        }
        if with_url:
            image["url"] = self.media_url(media_id)
        if caption is not None:
            image["caption"] = caption
        return self._user_message(user, "image", image)

    def contact(
        self, user: FakeWhatsAppUser, phone: str, name: str | None = None
    ) -> dict[str, Any]:
        """The user shares a contact card (their own by default: `name` is theirs)."""
        shown = name if name is not None else user.name
        number: dict[str, Any] = {"phone": phone, "type": "CELL"}
        digits = _phone_digits(phone)
        if digits:
            number["wa_id"] = digits
        card = {
            "name": {"first_name": shown, "formatted_name": shown},
            "phones": [number],
        }
        return self._user_message(user, "contacts", None, contacts=[card])

    def unsupported(self, user: FakeWhatsAppUser, kind: str) -> dict[str, Any]:
        """Something the bot may not handle: "sticker", "video", "audio", "voice", "document",
        "reaction", or any other kind (e.g. "poll"), which Meta delivers as type "unsupported"
        with error 131051."""
        media: dict[str, tuple[str, dict[str, Any]]] = {
            "sticker": ("image/webp", {"animated": False}),
            "video": ("video/mp4", {}),
            "audio": ("audio/ogg; codecs=opus", {"voice": False}),
            "voice": ("audio/ogg; codecs=opus", {"voice": True}),
            "document": ("application/pdf", {"filename": "dokumen.pdf"}),
        }
        if kind in media:
            mime_type, extra = media[kind]
            content = f"fake {kind} from {user.bsuid}".encode()
            media_id = self.add_media(content, mime_type)
            item = {
                "mime_type": mime_type,
                "sha256": base64.b64encode(hashlib.sha256(content).digest()).decode(),
                "id": media_id,
            } | extra
            type = "audio" if kind == "voice" else kind
            return self._user_message(user, type, item)
        if kind == "reaction":
            mine = self.sent(user)
            target = mine[-1].wamid if mine else self._new_wamid()
            return self._user_message(user, "reaction", {"message_id": target, "emoji": "👍"})
        title, details = ERRORS[131051]
        error = {"code": 131051, "title": title, "message": title,
                 "error_data": {"details": details}}  # fmt: skip
        return self._user_message(user, "unsupported", {"type": kind}, errors=[error])

    def status(
        self,
        wamid: str,
        status: StatusName,
        recipient: str | FakeWhatsAppUser,
        error_code: int | None = None,
    ) -> dict[str, Any]:
        """A status webhook for the bot's message `wamid` to `recipient`; "failed" carries
        `errors` (131000 unless `error_code` is given)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        user = self._user_for(recipient)
        update: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": user.wa_id or user.bsuid,
        }
        if status == "failed" or error_code is not None:
            code = error_code or 131000
            title, details = ERRORS.get(code, ("Error", ""))
            error = {"code": code, "title": title, "message": title,
                     "error_data": {"details": details}, "href": ERROR_HREF}  # fmt: skip
            update["errors"] = [error]
        else:
            template = any(m.wamid == wamid and m.type == "template" for m in self.messages)
            update["pricing"] = {
                "billable": template,
                "pricing_model": "PMP",
                "type": "regular" if template else "free_customer_service",
                "category": "utility" if template else "service",
            }
        return self._envelope({"contacts": [user.contact()], "statuses": [update]})

    # -- posting to the bot's webhook -----------------------------------------------------
    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._session

    async def post(
        self,
        url: str,
        body: dict[str, Any] | None,
        *,
        secret: str = APP_SECRET,
        signature: str | _Computed | None = COMPUTED,
        raw: bytes | None = None,
    ) -> tuple[int, str]:
        """POST a webhook body to the bot as Meta does, signing the exact raw bytes with
        `secret`. Pass `signature=None` to leave the header out, or a string to send a wrong
        one; `raw` posts those bytes instead of `body`. Returns the bot's status and text."""
        if raw is None:
            raw = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if signature is COMPUTED:
            signature = sign(raw, secret)
        if isinstance(signature, str):
            headers["X-Hub-Signature-256"] = signature
        if body is not None:
            self._note_inbound(body)
        try:
            async with self._client().post(url, data=raw, headers=headers) as response:
                status, text = response.status, await response.text()
        except aiohttp.ClientError as error:
            status, text = 0, repr(error)
        self.deliveries.append(Delivery(url, raw, status, text))
        return status, text

    def _note_inbound(self, body: dict[str, Any]) -> None:
        """A user's message opens their 24-hour service window."""
        now = time.time()
        for entry in body.get("entry", []):
            for change in entry.get("changes", []):
                value = change.get("value", {})
                if not value.get("messages"):
                    continue
                for contact in value.get("contacts", []):
                    for key in ("user_id", "wa_id"):
                        if contact.get(key):
                            self._last_inbound[str(contact[key])] = now

    async def verify(
        self, url: str, token: str = VERIFY_TOKEN, challenge: str | None = None
    ) -> tuple[int, str]:
        """Meta's GET verification of a webhook URL; the bot should echo the challenge."""
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": token,
            "hub.challenge": challenge if challenge is not None else str(secrets.randbelow(10**9)),
        }
        async with self._client().get(url, params=params) as response:
            return response.status, await response.text()

    def statuses_to(
        self, url: str | None, *, statuses: Iterable[StatusName] = ("sent", "delivered")
    ) -> None:
        """Post signed status webhooks (`sent`, then `delivered`) to `url` for every accepted
        message from now on, as Meta does; None turns it off."""
        self._status_url = url
        self._auto_statuses = tuple(statuses)

    async def _post_statuses(self, url: str, message: Sent) -> None:
        for status in self._auto_statuses:
            await self.post(url, self.status(message.wamid, status, message.to))

    # -- reading what the bot did ---------------------------------------------------------
    def sent(self, to: str | FakeWhatsAppUser | None = None, type: str | None = None) -> list[Sent]:
        """Accepted messages, to one user (by BSUID, wa_id or phone number) and of one type."""
        wanted = self._identities(to) if to is not None else set()
        return [
            message
            for message in self.messages
            if (type is None or message.type == type)
            and (to is None or wanted & self._identities(message.to))
        ]

    def texts_to(self, to: str | FakeWhatsAppUser) -> list[str]:
        """The texts of text messages and the body texts of interactive ones, in order."""
        return [
            message.text
            for message in self.sent(to)
            if message.type in ("text", "interactive") and message.text is not None
        ]

    def last_to(self, to: str | FakeWhatsAppUser) -> Sent:
        mine = self.sent(to)
        if not mine:
            raise LookupError(f"nothing was sent to {to}")
        return mine[-1]

    @staticmethod
    def buttons(message: Sent | dict[str, Any]) -> list[tuple[str, str]]:
        """(id, title) of a message's reply buttons, or of its list rows."""
        body = message.body if isinstance(message, Sent) else message
        interactive = body.get("interactive") or {}
        action = interactive.get("action") or {}
        if interactive.get("type") == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]
        if interactive.get("type") == "list":
            rows = [row for section in action.get("sections", []) for row in section["rows"]]
            return [(row["id"], row["title"]) for row in rows]
        return []

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until `predicate()` holds, polling the recorded calls."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not do what the test waited for")
            await asyncio.sleep(0.01)

    # -- the Graph API --------------------------------------------------------------------
    @web.middleware
    async def _graph_middleware(
        self,
        request: web.Request,
        handler: Handler,
    ) -> web.StreamResponse:
        try:
            authorization = request.headers.get("Authorization", "")
            given = authorization.removeprefix("Bearer ").strip() or request.query.get(
                "access_token", ""
            )
            if given != self.token:
                raise GraphError(190, status=401)
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.hanging:
                await self._released.wait()
            return await handler(request)
        except GraphError as error:
            headers = (
                {"WWW-Authenticate": 'OAuth "Facebook Platform"'} if error.code == 190 else None
            )
            return web.json_response(error.body(), status=error.status, headers=headers)

    @staticmethod
    def _no_such_node(method: str, node: str) -> GraphError:
        return GraphError(
            100,
            status=400,
            message=(
                f"Unsupported {method} request. Object with ID '{node}' does not exist, cannot be"
                " loaded due to missing permissions, or does not support this operation. Please"
                " read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
            ),
            type="GraphMethodException",
            subcode=33,
        )

    def release(self) -> None:
        """Answer the requests left hanging, and stop hanging new ones."""
        self.hanging = False
        self._released.set()
        self._released = asyncio.Event()

    async def _unknown_path(self, request: web.Request) -> web.StreamResponse:
        raise GraphError(2500, message=f"Unknown path components: {request.path}")

    async def _api_messages(self, request: web.Request) -> web.StreamResponse:
        node = request.match_info["node"]
        if node != PHONE_ID:
            raise self._no_such_node("post", node)
        try:
            body = await request.json()
        except ValueError:
            raise _bad_param("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _bad_param("The request body must be a JSON object.")
        if body.get("messaging_product") != "whatsapp":
            raise _bad_param("The parameter messaging_product is required.")
        if body.get("status") == "read":
            message_id = body.get("message_id")
            if not isinstance(message_id, str) or not message_id.startswith("wamid."):
                raise _bad_param("Param message_id must be a valid WhatsApp message id.")
            self.reads.append(Read(message_id, typing="typing_indicator" in body))
            return web.json_response({"success": True})

        recipient = body.get("recipient") or body.get("to")
        type = str(body.get("type", "text"))
        try:
            identity = self._check_recipient(body)
            self._check(type, body)
            self._check_window(identity, type)
        except GraphError as error:
            self._refuse(str(recipient), type, body, error)
            raise
        fault = self._take_fault(identity)
        if fault is not None:
            refused = GraphError(fault.code, fault.details, status=fault.status,
                                 message=fault.message)  # fmt: skip
            self._refuse(identity, type, body, refused, injected=True)
            raise refused

        message = Sent(identity, type, body, self._new_wamid())
        self.messages.append(message)
        if self._status_url is not None:
            task = asyncio.create_task(self._post_statuses(self._status_url, message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response(self._accepted(body, message))

    def _accepted(self, body: dict[str, Any], message: Sent) -> dict[str, Any]:
        """Meta's answer: the recipient as given and as resolved, and the new message id."""
        contact: dict[str, Any] = {"input": message.to}
        if "recipient" in body:
            contact["user_id"] = message.to
        else:
            digits = _phone_digits(message.to)
            user = self.users.get(message.to) or (self.users.get(digits) if digits else None)
            contact["wa_id"] = (user.wa_id if user else None) or digits or message.to
        sent: dict[str, Any] = {"id": message.wamid}
        if message.type == "template":
            sent["message_status"] = "accepted"
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]}

    def _refuse(
        self,
        to: str,
        type: str,
        body: dict[str, Any],
        error: GraphError,
        *,
        injected: bool = False,
    ) -> None:
        self.refusals.append(
            Refusal(to, type, body, error.code, error.status, error.message, error.details,
                    injected)
        )  # fmt: skip

    @staticmethod
    def _check_recipient(body: dict[str, Any]) -> str:
        if "recipient" in body:
            recipient = body["recipient"]
            if not isinstance(recipient, str) or not (
                _BSUID.fullmatch(recipient) or _PARENT_BSUID.fullmatch(recipient)
            ):
                raise _bad_param("Param recipient must be a valid business-scoped user id.")
            return recipient
        to = body.get("to")
        if not isinstance(to, str) or not to.strip():
            raise _bad_param("The parameter to is required.")
        if body.get("recipient_type", "individual") == "individual" and not _phone_digits(to):
            raise _bad_param(f"Param to must be a valid phone number, not '{to}'.")
        return to

    def _check_window(self, recipient: str, type: str) -> None:
        if not self.enforce_window or type == "template":
            return
        now = time.time()
        ids = self._identities(recipient)
        if not any(now - self._last_inbound.get(i, -SERVICE_WINDOW) < SERVICE_WINDOW for i in ids):
            raise GraphError(131047, ERRORS[131047][1])

    def _check(self, type: str, body: dict[str, Any]) -> None:
        """Meta's checks of a message body; raises the `GraphError` Meta would answer with."""
        if type not in MESSAGE_TYPES:
            raise _bad_param(f"Param type must be one of {sorted(MESSAGE_TYPES)}, not '{type}'.")
        content = body.get(type)
        if type == "template":
            self._check_template(content)
            return
        if type == "contacts":
            if not isinstance(content, list) or not content:
                raise _bad_param("The parameter contacts is required.")
            return
        if not isinstance(content, dict):
            raise _bad_param(f"The parameter {type} is required.")
        if type == "text":
            _length(content.get("body"), "text['body']", TEXT_MAX, code=100)
        elif type == "interactive":
            self._check_interactive(content)
        elif type in MEDIA_TYPES:
            self._check_media(type, content)
        elif type == "location":
            _check_location(content)
        elif type == "reaction" and not isinstance(content.get("message_id"), str):
            raise _bad_param("The parameter reaction['message_id'] is required.")

    def _check_template(self, template: object) -> None:
        if not isinstance(template, dict):
            raise _bad_param("The parameter template is required.")
        name = template.get("name")
        if not isinstance(name, str) or not name:
            raise _bad_param("The parameter template['name'] is required.")
        language = template.get("language")
        if not isinstance(language, dict) or not isinstance(language.get("code"), str):
            raise _bad_param("The parameter template['language']['code'] is required.")
        components = template.get("components", [])
        if not isinstance(components, list) or not all(
            isinstance(c, dict) and "type" in c for c in components
        ):
            raise _bad_param("Param template['components'] must be a list of components.")
        if self.approved_templates is not None and name not in self.approved_templates:
            raise GraphError(132001, f"template name ({name}) does not exist in {language['code']}")

    def _check_media(self, type: str, media: dict[str, Any], where: str | None = None) -> None:
        where = where or type
        if ("id" in media) == ("link" in media):
            raise _bad_param(f"Param {where} must have exactly one of 'id' or 'link'.")
        if "id" in media and str(media["id"]) not in self.media:
            raise _bad_param(f"Param {where}['id'] is not a valid media id: {media['id']}")
        if "link" in media and not str(media["link"]).startswith(("https://", "http://")):
            raise _bad_param(f"Param {where}['link'] must be a valid URL.")
        if "caption" in media:
            _length(media["caption"], f"{where}['caption']", BODY_MAX, code=100)

    def _check_interactive(self, interactive: dict[str, Any]) -> None:
        kind = interactive.get("type")
        if kind not in INTERACTIVE_TYPES:
            raise _bad_param(
                f"Param interactive['type'] must be one of {sorted(INTERACTIVE_TYPES)}"
            )
        body = interactive.get("body")
        if body is not None or kind in ("button", "list", "location_request_message"):
            text = body.get("text") if isinstance(body, dict) else None
            _length(text, "Body text", BODY_MAX)
        header = interactive.get("header")
        if header is not None:
            header_type = header.get("type") if isinstance(header, dict) else None
            if header_type == "text":
                _length(header.get("text"), "Header text", HEADER_MAX)
            elif kind == "list" or header_type not in ("image", "video", "document"):
                raise _invalid(f"Header type '{header_type}' is not allowed for '{kind}' messages")
            else:
                self._check_media(header_type, header.get(header_type) or {}, "header")
        footer = interactive.get("footer")
        if footer is not None:
            _length(footer.get("text") if isinstance(footer, dict) else None, "Footer text",
                    FOOTER_MAX)  # fmt: skip
        action = interactive.get("action")
        if not isinstance(action, dict):
            raise _bad_param("The parameter interactive['action'] is required.")
        if kind == "button":
            _check_buttons(action)
        elif kind == "list":
            _check_list(action)
        elif kind == "location_request_message" and action.get("name") != "send_location":
            raise _invalid("Interactive location request: action name must be 'send_location'")

    async def _api_upload(self, request: web.Request) -> web.StreamResponse:
        node = request.match_info["node"]
        if node != PHONE_ID:
            raise self._no_such_node("post", node)
        if not request.content_type.startswith("multipart/"):
            raise _bad_param("Media must be uploaded as multipart/form-data.")
        form = await request.post()
        if form.get("messaging_product") != "whatsapp":
            raise _bad_param("The parameter messaging_product is required.")
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise _bad_param("The parameter file is required.")
        content = upload.file.read()
        mime_type = str(form.get("type") or upload.content_type)
        kind = _media_kind(mime_type)
        if len(content) > MEDIA_MAX_BYTES[kind]:
            raise GraphError(
                131053, f"{kind} of {len(content)} bytes is larger than {MEDIA_MAX_BYTES[kind]}"
            )
        media_id = self.add_media(content, mime_type, upload.filename, uploaded=True)
        return web.json_response({"id": media_id})

    async def _api_node(self, request: web.Request) -> web.StreamResponse:
        """GET of a node: the phone number itself, or a media file's URL."""
        node = request.match_info["node"]
        if node == PHONE_ID:
            return web.json_response({
                "id": PHONE_ID, "display_phone_number": DISPLAY_PHONE_NUMBER,
                "verified_name": "Pos UKK", "quality_rating": "GREEN",
            })  # fmt: skip
        media = self.media.get(node)
        if media is None:
            raise self._no_such_node("get", node)
        return web.json_response({
            "url": self.media_url(media.id), "mime_type": media.mime_type,
            "sha256": media.sha256, "file_size": len(media.content), "id": media.id,
            "messaging_product": "whatsapp",
        })  # fmt: skip

    async def _api_delete_media(self, request: web.Request) -> web.StreamResponse:
        node = request.match_info["node"]
        if self.media.pop(node, None) is None:
            raise self._no_such_node("delete", node)
        return web.json_response({"success": True})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        media = self.media.get(request.query.get("mid", ""))
        if media is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=media.content, content_type=media.mime_type.split(";")[0])


def _length(value: object, what: str, most: int, *, code: int = 131009) -> str:
    """A text parameter of 1 to `most` characters."""
    if not isinstance(value, str) or not value:
        raise GraphError(code, f"{what} is required and must be a non-empty string")
    if len(value) > most:
        raise GraphError(code, f"{what} length invalid. Min length: 1, Max length: {most}")
    return value


def _check_buttons(action: dict[str, Any]) -> None:
    buttons = action.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= BUTTONS_MAX:
        count = len(buttons) if isinstance(buttons, list) else 0
        raise _invalid(f"Buttons count invalid: {count}. Min: 1, Max: {BUTTONS_MAX}")
    ids = []
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if button.get("type") != "reply" or not isinstance(reply, dict):
            raise _invalid("Button type must be 'reply'")
        ids.append(_length(reply.get("id"), "Button id", BUTTON_ID_MAX))
        _length(reply.get("title"), "Button title", BUTTON_TITLE_MAX)
    if len(set(ids)) != len(ids):
        raise _invalid("Button ids must be unique")


def _check_list(action: dict[str, Any]) -> None:
    _length(action.get("button"), "List button label", LIST_BUTTON_MAX)
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= LIST_SECTIONS_MAX:
        raise _invalid(f"Sections count invalid. Min: 1, Max: {LIST_SECTIONS_MAX}")
    ids = []
    for section in sections:
        if "title" in section or len(sections) > 1:
            _length(section.get("title"), "Section title", SECTION_TITLE_MAX)
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            raise _invalid("Each section must have at least one row")
        for row in rows:
            ids.append(_length(row.get("id"), "Row id", ROW_ID_MAX))
            _length(row.get("title"), "Row title", ROW_TITLE_MAX)
            if "description" in row:
                _length(row["description"], "Row description", ROW_DESCRIPTION_MAX)
    if len(ids) > LIST_ROWS_MAX:
        raise _invalid(f"Total row count exceed max allowed count: {LIST_ROWS_MAX}")
    if len(set(ids)) != len(ids):
        raise _invalid("Row ids must be unique")


def _check_location(location: dict[str, Any]) -> None:
    for key, bound in (("latitude", 90), ("longitude", 180)):
        value = location.get(key)
        if not isinstance(value, int | float) or not -bound <= value <= bound:
            raise _bad_param(f"Param location['{key}'] must be a number in [-{bound}, {bound}].")


def _media_kind(mime_type: str) -> str:
    kind = mime_type.split("/", 1)[0]
    if mime_type == "image/webp":
        return "sticker"
    return kind if kind in ("image", "video", "audio") else "document"
