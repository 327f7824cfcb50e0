"""WhatsApp through pywa (Cloud API): webhooks become `Inbound`, `Reply` becomes messages.

No rules live here. pywa's async client on a Starlette app answers Meta's verification challenge
and checks `X-Hub-Signature-256` on every POST (the app secret is required: without it the
channel refuses to start, it never skips the check); uvicorn serves the app. pywa has no setting
for the Graph API address, so its httpx client gets a transport (`GraphRedirect`) that sends the
requests meant for graph.facebook.com to `POSUKK_WHATSAPP_API_URL` (tests use a local fake).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

import httpx
from pywa.types.others import MessageType
from pywa_async.client import WhatsApp
from pywa_async.errors import WhatsAppError
from pywa_async.handlers import (
    CallbackButtonHandler,
    CallbackSelectionHandler,
    MessageHandler,
    MessageStatusHandler,
)
from pywa_async.types.callback import (
    Button,
    CallbackButton,
    CallbackSelection,
    Section,
    SectionList,
    SectionRow,
)
from pywa_async.types.message import Message
from pywa_async.types.message_status import MessageStatus, MessageStatusType
from pywa_async.types.templates import BodyText, TemplateLanguage
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.base.models import (
    Channel,
    Choice,
    Inbound,
    Location,
    Reply,
    Unreadable,
    Unsent,
    valid_choice_token,
)
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.channels.answering import deliver
from bot.channels.text import captioned, clean_text, split_text
from bot.channels.webhook import TooLarge, capped_body
from bot.core.engine import Engine
from bot.core.inbox import Inbox, failed
from bot.core.outbound import (
    DeliveryError,
    NeedsTemplate,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    Unreachable,
)
from bot.core.receipts import Receipt, State
from bot.storage.inbox import STATUSES, InboxRow, Received
from bot.storage.photos import keep_media

log = logging.getLogger(__name__)

GRAPH_HOST = "graph.facebook.com"
MAX_TEXT = 4096
MAX_BODY = 1024
"""The body of an interactive message (buttons, list, location request)."""
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_LIST_ROWS = 10
MAX_ROW_TITLE = 24
INVALID_TOKEN = "invalid"
SIGNATURE_HEADER = "X-Hub-Signature-256"
_UNREADABLE = {
    MessageType.VIDEO: Unreadable.VIDEO,
    MessageType.DOCUMENT: Unreadable.DOCUMENT,
    MessageType.STICKER: Unreadable.STICKER,
    MessageType.REACTION: Unreadable.REACTION,
    MessageType.EDIT: Unreadable.EDITED,
}

THROTTLED_PAUSE_SECONDS = 5.0
"""Meta gives no retry-after; pause the channel this long on a throughput error (130429)."""
_THROTTLED = frozenset({4, 80007, 130429})
_UNREACHABLE = frozenset({131026, 131030, 131021})
"""Not on WhatsApp or cannot receive (131026), not an allowed test number (131030), ourselves."""
_TEMPORARY = frozenset({131000, 131016, 131056, 131057, 135000, 1, 2})
"""Meta's "something went wrong", service unavailable, too many to one person, maintenance."""
_NEEDS_TEMPLATE = 131047
"""Re-engagement: the 24-hour window is closed, only a template may go."""


_STATES = {
    MessageStatusType.DELIVERED: State.DELIVERED,
    MessageStatusType.READ: State.READ,
    MessageStatusType.FAILED: State.FAILED,
}


def delivery_error(code: int, message: str) -> DeliveryError:
    """The delivery job's view of a Cloud API error code."""
    text = f"{code}: {message}"
    if code == _NEEDS_TEMPLATE:
        return NeedsTemplate(text)
    if code in _THROTTLED:
        return RetryLater(THROTTLED_PAUSE_SECONDS)
    if code in _UNREACHABLE:
        return Unreachable(text)
    if code in _TEMPORARY:
        return TemporaryFailure(text)
    return PermanentFailure(text)


class GraphRedirect(httpx.AsyncBaseTransport):
    """Sends pywa's requests for `hosts` (graph.facebook.com) to `base_url`, same path; others
    go out unchanged."""

    def __init__(
        self,
        base_url: str,
        inner: httpx.AsyncBaseTransport | None = None,
        hosts: frozenset[str] = frozenset({GRAPH_HOST}),
    ) -> None:
        self.base = httpx.URL(base_url)
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.hosts = hosts - {self.base.host}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in self.hosts:
            request.url = request.url.copy_with(
                scheme=self.base.scheme,
                host=self.base.host,
                port=self.base.port,
                path=self.base.path.rstrip("/") + request.url.path,
            )
            request.headers["Host"] = request.url.netloc.decode("ascii")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass(frozen=True)
class Outgoing:
    """One WhatsApp message: plain text, or an interactive one (reply buttons, a list, or the
    location-request button) whose body is `text`."""

    text: str
    buttons: tuple[Choice, ...] = ()
    rows: tuple[Choice, ...] = ()
    location_request: bool = False


def numbered(number: int, label: str) -> str:
    """A list row as the person can answer it by typing: "1. Langkah berikut", cut to fit."""
    title = f"{number}. {label}"
    return title if len(title) <= MAX_ROW_TITLE else title[: MAX_ROW_TITLE - 1] + "…"


def plan(reply: Reply, more_choices: str) -> list[Outgoing]:
    """The messages that carry `reply` within Meta's limits.

    Texts are cut below 4096 characters, and the part that carries buttons below 1024. Up to 3
    short choices become reply buttons; more become lists of at most 10 rows, one list message
    after another (introduced by `more_choices`), so no choice needs state kept in the adapter.
    List rows carry the number that answers them when typed, counted across the lists. A
    location request is its own message, as WhatsApp cannot mix it with buttons.
    """
    interactive = bool(reply.choices) or reply.request == "location"
    chunks = split_text(reply.text, MAX_TEXT) or [more_choices]
    if interactive and len(chunks[-1]) > MAX_BODY:
        chunks[-1:] = split_text(chunks[-1], MAX_BODY)
    messages = [Outgoing(chunk) for chunk in chunks[:-1]]
    body = chunks[-1]
    if reply.request == "location":
        messages.append(Outgoing(body, location_request=True))
        body = more_choices
    choices = reply.choices
    if not choices:
        return messages if reply.request == "location" else [*messages, Outgoing(body)]
    if len(choices) <= MAX_BUTTONS and all(len(c.label) <= MAX_BUTTON_TITLE for c in choices):
        return [*messages, Outgoing(body, buttons=choices)]
    rows = tuple(
        Choice(token=c.token, label=numbered(n, c.label)) for n, c in enumerate(choices, start=1)
    )
    for start in range(0, len(rows), MAX_LIST_ROWS):
        messages.append(Outgoing(body, rows=rows[start : start + MAX_LIST_ROWS]))
        body = more_choices
    return messages


class WhatsAppRenderer:
    """Sends replies to one person with pywa; the words around a list are in the reply's
    language (else `default_language`)."""

    def __init__(self, client: WhatsApp, texts: Texts, default_language: str) -> None:
        self.client = client
        self.texts = texts
        self.default_language = default_language

    async def send(self, to: str, reply: Reply) -> str:
        """Send `reply`; the id (wamid) of the last message sent."""
        if reply.template is not None:
            sent = await self.client.send_template(
                to,
                name=reply.template.name,
                language=TemplateLanguage(reply.template.language),
                # pywa declares `params` without `self`, so mypy takes the first value for it.
                params=[BodyText.params(*reply.template.params)],  # type: ignore[arg-type]
            )
            return sent.id
        if reply.photo:
            if captioned(reply):
                return (await self.client.send_image(to, Path(reply.photo), caption=reply.text)).id
            await self.client.send_image(to, image=Path(reply.photo))
        sent_id = ""
        language = reply.language or self.default_language
        for message in plan(reply, self.texts.get(language, "whatsapp.more_choices")):
            sent_id = await self._send_one(to, message, language)
        if reply.document:
            document = Path(reply.document)
            await self.client.send_document(to, document=document, filename=document.name)
        return sent_id

    async def _send_one(self, to: str, message: Outgoing, language: str) -> str:
        if message.location_request:
            return (await self.client.request_location(to, text=message.text)).id
        if message.buttons:
            buttons = [Button(title=c.label, callback_data=c.token) for c in message.buttons]
            return (await self.client.send_message(to, message.text, buttons=buttons)).id
        if message.rows:
            rows = [SectionRow(title=c.label, callback_data=c.token) for c in message.rows]
            choices = SectionList(
                button_title=self.texts.get(language, "whatsapp.list_button"),
                sections=[
                    Section(title=self.texts.get(language, "whatsapp.section_title"), rows=rows)
                ],
            )
            return (await self.client.send_message(to, message.text, buttons=choices)).id
        return (await self.client.send_message(to, message.text)).id


class WhatsAppSender:
    """The outbox's way to WhatsApp: send, and translate Cloud API errors for the delivery job."""

    channel = Channel.WHATSAPP

    def __init__(self, renderer: WhatsAppRenderer) -> None:
        self.renderer = renderer

    async def send(self, recipient: str, reply: Reply) -> str | None:
        try:
            return await self.renderer.send(recipient, reply)
        except WhatsAppError as error:
            raise delivery_error(error.code, error.message) from error
        except httpx.HTTPError as error:
            raise TemporaryFailure(str(error)) from error


class WhatsAppChannel:
    """pywa's client and webhook routes wired to the engine; `app` is the ASGI app to serve."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        texts: Texts,
        inbox: Inbox,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        missing = settings.missing_whatsapp_settings()
        if missing:
            raise ValueError(f"WhatsApp needs {', '.join(missing)}")
        token, secret = settings.whatsapp_token, settings.whatsapp_app_secret
        verify = settings.whatsapp_verify_token
        assert token is not None
        assert secret is not None
        assert verify is not None
        self.engine = engine
        self.settings = settings
        self.inbox = inbox
        self.on_outbox = on_outbox
        self.http = httpx.AsyncClient(
            transport=GraphRedirect(settings.whatsapp_api_url), timeout=30.0
        )
        # No server for pywa: our routes store each update before answering 200, and pywa
        # parses it when the inbox hands it over (`process`).
        self.client = WhatsApp(
            phone_id=settings.whatsapp_phone_id,
            token=token.get_secret_value(),
            session=self.http,
            verify_token=verify.get_secret_value(),
            app_secret=secret.get_secret_value(),
            validate_updates=True,
            skip_duplicate_updates=False,  # the inbox and the engine drop repeats, across restarts
        )
        self.client.add_handlers(
            MessageHandler(_reported(self.on_message)),
            CallbackButtonHandler(_reported(self.on_choice)),
            CallbackSelectionHandler(_reported(self.on_choice)),
            MessageStatusHandler(_reported(self.on_status)),
        )
        path = settings.whatsapp_webhook_path
        self.app = Starlette(
            routes=[
                Route(path, self.on_verify, methods=["GET"]),
                Route(path, self.on_webhook, methods=["POST"]),
            ]
        )
        self.renderer = WhatsAppRenderer(self.client, texts, settings.default_language)
        self.sender = WhatsAppSender(self.renderer)
        inbox.route(Channel.WHATSAPP, self.process)

    async def on_verify(self, request: Request) -> Response:
        """Meta's check that the webhook is ours: echo the challenge if the token matches."""
        params = request.query_params
        content, status = await self.client.webhook_challenge_handler(
            vt=params.get("hub.verify_token"), ch=params.get("hub.challenge")
        )
        return PlainTextResponse(content or "", status_code=status)

    async def on_webhook(self, request: Request) -> Response:
        """Answer 200 only once the update is stored: Meta does not send it again after."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return PlainTextResponse("Unauthorized", status_code=401)
        try:
            body = await capped_body(request, self.settings.max_webhook_bytes)
        except TooLarge:
            log.warning("refused a WhatsApp webhook body over the size limit")
            return PlainTextResponse("Too large", status_code=413)
        refused = await self.client.webhook_update_validator(body, signature)
        if refused is not None:
            return PlainTextResponse(refused[0], status_code=refused[1])
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return PlainTextResponse("Bad Request", status_code=400)
        await self.inbox.receive(Channel.WHATSAPP, list(split_updates(payload)))
        return PlainTextResponse("OK")

    async def process(self, row: InboxRow) -> None:
        """Handle one stored update through pywa's parsing and our handlers."""
        await self.client.webhook_update_handler(row.raw.encode())

    async def on_message(self, client: object, message: Message) -> None:
        await self._answer(
            Inbound.model_validate(
                {
                    "channel": Channel.WHATSAPP,
                    "user_ref": message.from_user.bsuid,
                    "message_id": message.id,
                    "received_at": message.timestamp,
                    **await self._payload(message),
                }
            )
        )

    async def _payload(self, message: Message) -> dict[str, object]:
        """What the person sent, as the fields of an `Inbound`: always something, so every
        message gets an answer."""
        if message.text is not None:
            return {"text": clean_text(message.text)}
        if message.location is not None:
            location = message.location
            return {"location": Location(latitude=location.latitude, longitude=location.longitude)}
        if message.image is not None:
            photo_ref = await self._keep(message.image.id)
            if photo_ref is None:
                return {"unreadable": Unreadable.PHOTO_FAILED}
            return {"photo_ref": photo_ref}
        if message.contacts:
            own = message.from_user.wa_id
            phones = [p for contact in message.contacts for p in contact.phones if p.phone]
            if any(own and p.wa_id and p.wa_id != own for p in phones) or not phones:
                return {"unreadable": Unreadable.FOREIGN_CONTACT}  # not their own number
            return {"contact_phone": str(phones[0].phone)[:32]}
        if message.audio is not None and message.audio.voice:
            voice_ref = await self._keep(message.audio.id, ".ogg")
            return {"voice_ref": voice_ref} if voice_ref else {"unreadable": Unreadable.VOICE}
        if message.type == MessageType.AUDIO:
            return {"unreadable": Unreadable.VOICE}
        return {"unreadable": _UNREADABLE.get(message.type, Unreadable.OTHER)}

    async def on_choice(
        self, client: object, choice: CallbackButton[str] | CallbackSelection[str]
    ) -> None:
        """A reply button or a list row: its id is the engine's token, checked like any other."""
        data = valid_choice_token(choice.data)
        await self._answer(
            Inbound(
                channel=Channel.WHATSAPP,
                user_ref=choice.from_user.bsuid,
                message_id=choice.id,
                received_at=choice.timestamp,
                choice=data or INVALID_TOKEN,
            )
        )

    async def on_status(self, client: object, status: MessageStatus[str]) -> None:
        """Meta's word on a message we sent (`bot.core.receipts`); a failure wakes the delivery
        job, which sends it again or gives up."""
        failure = None
        if status.status == MessageStatusType.FAILED:
            code = status.error.code if status.error else 0
            failure = delivery_error(code, status.error.message if status.error else "failed")
        receipt = Receipt(
            channel=Channel.WHATSAPP,
            message_id=status.id,
            recipient=status.from_user.bsuid,
            state=_STATES.get(status.status, State.SENT),
            at=status.timestamp,
            failure=failure,
        )
        if await self.engine.take_receipt(receipt) and failure is not None:
            self.on_outbox()

    async def _answer(self, inbound: Inbound) -> None:
        async def send(reply: Reply) -> str:
            return await self.renderer.send(inbound.user_ref, reply)

        unsent = Unsent.answering(inbound, await self.engine.handle(inbound))
        await deliver(self.engine, unsent, send, (WhatsAppError, httpx.HTTPError))

    async def _keep(self, media_id: str, suffix: str = ".jpg") -> str | None:
        """Download a photo or voice note at once (media ids expire) and keep it by its hash;
        None if it is too big or cannot be had."""
        try:
            media = await self.client.get_media_url(media_id)
            return await keep_media(
                self.settings.data_dir,
                media.file_size,
                self.settings.max_photo_bytes,
                lambda: self.client.get_media_bytes(media.url),
                suffix,
            )
        except (WhatsAppError, httpx.HTTPError) as error:
            log.warning("could not download a photo: %s", type(error).__name__)
            return None

    async def close(self) -> None:
        await self.http.aclose()


def _reported(
    handler: Callable[[Any, Any], Awaitable[None]],
) -> Callable[[Any, Any], Awaitable[None]]:
    """pywa logs a handler's error with its message (which may quote the person) and goes on:
    report it to the inbox instead, which keeps the update as failed."""

    @wraps(handler)
    async def reporting(client: Any, update: Any) -> None:
        try:
            await handler(client, update)
        except Exception as error:
            failed(error)

    return reporting


def split_updates(payload: Mapping[str, Any]) -> Iterator[Received]:
    """One stored update per message or status in a webhook body, each in the shape Meta sends
    (pywa reads one per body), so each person's messages are handled in order on their own."""
    for entry in payload.get("entry") or ():
        for change in entry.get("changes") or ():
            value = change.get("value") or {}
            items = [
                (kind, item) for kind in ("messages", "statuses") for item in value.get(kind) or ()
            ]
            for kind, item in items:
                single = {k: v for k, v in value.items() if k not in ("messages", "statuses")}
                single[kind] = [item]
                one = {**payload, "entry": [{**entry, "changes": [{**change, "value": single}]}]}
                raw = json.dumps(one, separators=(",", ":"))
                if kind == "messages":
                    ref = str(item.get("id") or raw)
                    sender = str(item.get("from_user_id") or item.get("from") or "unknown")
                else:
                    ref = f"status:{item.get('id')}:{item.get('status')}"
                    sender = STATUSES
                yield Received(update_ref=ref, sender=sender, raw=raw)
            if not items:
                raw = json.dumps(payload, separators=(",", ":"))
                yield Received(update_ref=f"other:{hash(raw)}", sender="other", raw=raw)
