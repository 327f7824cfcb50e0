"""WhatsApp through pywa (Cloud API): webhooks become `Inbound`, `Reply` becomes messages.

No rules live here. pywa's async client on a Starlette app answers Meta's verification challenge
and checks `X-Hub-Signature-256` on every POST (the app secret is required: without it the
channel refuses to start, it never skips the check); uvicorn serves the app. pywa has no setting
for the Graph API address, so its httpx client gets a transport (`GraphRedirect`) that sends the
requests meant for graph.facebook.com to `POSUKK_WHATSAPP_API_URL` (tests use a local fake).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
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

from bot.channels.answering import answer
from bot.channels.text import split_text
from bot.engine import Engine
from bot.models import Channel, Choice, Inbound, Location, Reply, valid_choice_token
from bot.outbound import (
    DeliveryError,
    NeedsTemplate,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    Unreachable,
)
from bot.photos import keep_photo
from bot.settings import Settings
from bot.texts import Texts

log = logging.getLogger(__name__)

GRAPH_HOST = "graph.facebook.com"
MAX_TEXT = 4096
MAX_BODY = 1024
"""The body of an interactive message (buttons, list, location request)."""
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_LIST_ROWS = 10
INVALID_TOKEN = "invalid"

THROTTLED_PAUSE_SECONDS = 5.0
"""Meta gives no retry-after; pause the channel this long on a throughput error (130429)."""
_THROTTLED = frozenset({4, 80007, 130429})
_UNREACHABLE = frozenset({131026, 131030, 131021})
"""Not on WhatsApp or cannot receive (131026), not an allowed test number (131030), ourselves."""
_TEMPORARY = frozenset({131000, 131016, 131056, 131057, 135000, 1, 2})
"""Meta's "something went wrong", service unavailable, too many to one person, maintenance."""
_NEEDS_TEMPLATE = 131047
"""Re-engagement: the 24-hour window is closed, only a template may go."""


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


def plan(reply: Reply, more_choices: str) -> list[Outgoing]:
    """The messages that carry `reply` within Meta's limits.

    Texts are cut below 4096 characters, and the part that carries buttons below 1024. Up to 3
    short choices become reply buttons; more become lists of at most 10 rows, one list message
    after another (introduced by `more_choices`), so no choice needs state kept in the adapter.
    A location request is its own message, as WhatsApp cannot mix it with buttons.
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
    for start in range(0, len(choices), MAX_LIST_ROWS):
        messages.append(Outgoing(body, rows=choices[start : start + MAX_LIST_ROWS]))
        body = more_choices
    return messages


class WhatsAppRenderer:
    """Sends replies to one person with pywa."""

    def __init__(self, client: WhatsApp, texts: Texts) -> None:
        self.client = client
        self.list_button = texts.get("id", "whatsapp.list_button")
        self.more_choices = texts.get("id", "whatsapp.more_choices")
        self.section_title = texts.get("id", "whatsapp.section_title")

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
            await self.client.send_image(to, image=Path(reply.photo))
        sent_id = ""
        for message in plan(reply, self.more_choices):
            sent_id = await self._send_one(to, message)
        if reply.document:
            document = Path(reply.document)
            await self.client.send_document(to, document=document, filename=document.name)
        return sent_id

    async def _send_one(self, to: str, message: Outgoing) -> str:
        if message.location_request:
            return (await self.client.request_location(to, text=message.text)).id
        if message.buttons:
            buttons = [Button(title=c.label, callback_data=c.token) for c in message.buttons]
            return (await self.client.send_message(to, message.text, buttons=buttons)).id
        if message.rows:
            rows = [SectionRow(title=c.label, callback_data=c.token) for c in message.rows]
            choices = SectionList(
                button_title=self.list_button,
                sections=[Section(title=self.section_title, rows=rows)],
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
        self.on_outbox = on_outbox
        self.app = Starlette()
        self.http = httpx.AsyncClient(
            transport=GraphRedirect(settings.whatsapp_api_url), timeout=30.0
        )
        self.client = WhatsApp(
            phone_id=settings.whatsapp_phone_id,
            token=token.get_secret_value(),
            session=self.http,
            server=cast(Any, self.app),  # pywa serves Starlette apps; its hint names only two
            webhook_endpoint=settings.whatsapp_webhook_path,
            verify_token=verify.get_secret_value(),
            app_secret=secret.get_secret_value(),
            validate_updates=True,
        )
        self.client.add_handlers(
            MessageHandler(self.on_message),
            CallbackButtonHandler(self.on_choice),
            CallbackSelectionHandler(self.on_choice),
            MessageStatusHandler(self.on_status),
        )
        self.renderer = WhatsAppRenderer(self.client, texts)
        self.sender = WhatsAppSender(self.renderer)

    async def on_message(self, client: object, message: Message) -> None:
        payload: dict[str, object] = {}
        text = message.text
        phones = [p.phone for contact in message.contacts or () for p in contact.phones if p.phone]
        if text is not None:
            payload["text"] = text[:MAX_TEXT]
        elif message.location is not None:
            payload["location"] = Location(
                latitude=message.location.latitude, longitude=message.location.longitude
            )
        elif message.image is not None:
            photo_ref = await self._keep_photo(message.image.id)
            if photo_ref is None:
                return
            payload["photo_ref"] = photo_ref
        elif phones:
            payload["contact_phone"] = phones[0][:32]
        else:
            log.info("ignoring a WhatsApp %s message", message.type)
            return
        await self._answer(
            Inbound.model_validate(
                {
                    "channel": Channel.WHATSAPP,
                    "user_ref": message.from_user.bsuid,
                    "message_id": message.id,
                    "received_at": message.timestamp,
                    **payload,
                }
            )
        )

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
        """Meta's word on a message we sent: delivered, read, or failed after all (then it goes
        again, as a template if the window had closed, or the person is unreachable)."""
        async with self.engine.database.unit_of_work() as uow:
            if status.status == MessageStatusType.DELIVERED:
                await uow.outbox.mark_delivered(status.id, status.timestamp)
            elif status.status == MessageStatusType.READ:
                await uow.outbox.mark_read(status.id, status.timestamp)
            elif status.status == MessageStatusType.FAILED:
                code = status.error.code if status.error else 0
                outcome = delivery_error(code, status.error.message if status.error else "failed")
                user_id = await uow.outbox.failed_after_send(
                    status.id,
                    str(outcome),
                    again=isinstance(outcome, NeedsTemplate | TemporaryFailure | RetryLater),
                    as_template=isinstance(outcome, NeedsTemplate),
                )
                if isinstance(outcome, Unreachable) and user_id is not None:
                    await uow.outbox.mark_recipient_unreachable(
                        user_id, status.timestamp, str(outcome)
                    )
        if status.status == MessageStatusType.FAILED:
            self.on_outbox()

    async def _answer(self, inbound: Inbound) -> None:
        async def send(reply: Reply) -> str:
            return await self.renderer.send(inbound.user_ref, reply)

        await answer(self.engine, inbound, send, (WhatsAppError, httpx.HTTPError))
        self.on_outbox()

    async def _keep_photo(self, media_id: str) -> str | None:
        """Download a photo at once (media ids expire) and keep it by its hash."""
        media = await self.client.get_media_url(media_id)
        return await keep_photo(
            self.settings.data_dir,
            media.file_size,
            self.settings.max_photo_bytes,
            lambda: self.client.get_media_bytes(media.url),
        )

    async def close(self) -> None:
        await self.http.aclose()
