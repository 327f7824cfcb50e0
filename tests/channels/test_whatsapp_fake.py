"""The local WhatsApp Cloud API fake, driven by the real pywa_async client and webhook server, so
that pywa and the fake are known to agree on paths, bodies, answers and errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from logging import ERROR
from typing import Any

import httpx
import pytest
import uvicorn
from pywa_async import errors as wa_errors
from pywa_async.client import WhatsApp
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
from pywa_async.types.message_status import MessageStatus
from pywa_async.types.others import MessageType
from pywa_async.types.templates import TemplateLanguage
from starlette.applications import Starlette

from bot.channels.whatsapp import GraphRedirect
from tests.fakes.whatsapp_api import (
    APP_SECRET,
    PHONE_ID,
    TOKEN,
    VERIFY_TOKEN,
    FakeWhatsApp,
    FakeWhatsAppUser,
    sign,
)

SARI = FakeWhatsAppUser("ID.1000000001", "6281234567001", "Sari")
ANDI = FakeWhatsAppUser("ID.1000000002", "6281234567002", "Andi")
HIDDEN = FakeWhatsAppUser("ID.1000000003", None, "Tanpa Nomor")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
async def wa(fake: FakeWhatsApp) -> AsyncIterator[WhatsApp]:
    """A pywa client for sending only (no webhook server)."""
    async with httpx.AsyncClient(transport=GraphRedirect(fake.base_url)) as session:
        yield WhatsApp(phone_id=PHONE_ID, token=TOKEN, session=session)


@dataclass
class Webhook:
    """pywa's own Starlette webhook, served by uvicorn, with every update it parsed."""

    url: str
    wa: WhatsApp
    updates: list[Any] = field(default_factory=list)

    def of(self, kind: type[Any]) -> list[Any]:
        return [update for update in self.updates if isinstance(update, kind)]


@pytest.fixture
async def webhook(fake: FakeWhatsApp, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Webhook]:
    """pywa's webhook; a body pywa fails to parse is logged as an error, which fails the test."""
    app = Starlette()
    async with httpx.AsyncClient(transport=GraphRedirect(fake.base_url)) as session:
        client = WhatsApp(
            phone_id=PHONE_ID, token=TOKEN, session=session,
            server=app,  # type: ignore[arg-type]  # pywa's hint omits Starlette, which it supports
            verify_token=VERIFY_TOKEN, app_secret=APP_SECRET,
        )  # fmt: skip
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", ws="none"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        hook = Webhook(f"http://127.0.0.1:{port}/", client)

        async def keep(_: Any, update: Any) -> None:
            hook.updates.append(update)

        client.add_handlers(
            MessageHandler(keep), CallbackButtonHandler(keep),
            CallbackSelectionHandler(keep), MessageStatusHandler(keep),
        )  # fmt: skip
        yield hook
        server.should_exit = True
        await task
    records = caplog.get_records("call") + caplog.records  # the test's, and the shutdown's
    assert [
        r.getMessage() for r in records if r.name.startswith("pywa") and r.levelno >= ERROR
    ] == []


# -- sending ----------------------------------------------------------------------------------


async def test_text_to_a_phone_number_and_to_a_bsuid(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    """pywa sends `to` for a number and `recipient` for a BSUID; the fake answers like Meta."""
    fake.add_user(SARI)
    by_phone = await wa.send_message(to=SARI.wa_id or "", text="Halo Sari")
    by_bsuid = await wa.send_message(to=SARI.bsuid, text="Apa kabar?")
    assert by_phone.id.startswith("wamid.")
    assert by_bsuid.id.startswith("wamid.")
    assert by_phone.id != by_bsuid.id
    assert (by_phone.to, by_bsuid.to) == (SARI.wa_id, SARI.bsuid)
    assert fake.texts_to(SARI) == ["Halo Sari", "Apa kabar?"]
    assert fake.texts_to("+62 812-3456-7001") == ["Halo Sari", "Apa kabar?"]
    assert [m.body.get("recipient") for m in fake.sent(SARI)] == [None, SARI.bsuid]
    assert fake.last_to(SARI.bsuid).wamid == by_bsuid.id
    assert fake.sent(ANDI) == []


async def test_reply_buttons(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    buttons = [Button("Ya", "consent:yes"), Button("Tidak", "consent:no")]
    await wa.send_message(SARI.bsuid, "Setuju?", header="Izin", footer="Pos UKK", buttons=buttons)
    message = fake.last_to(SARI)
    assert message.type == "interactive"
    assert fake.buttons(message) == [("consent:yes", "Ya"), ("consent:no", "Tidak")]
    assert fake.texts_to(SARI) == ["Setuju?"]
    assert message.content["header"] == {"type": "text", "text": "Izin"}


async def test_list_and_location(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    rows = [SectionRow(f"Topik {n}", f"topic:{n}", "x" * 72) for n in range(10)]
    topics = SectionList(
        "Pilih topik", [Section("Pertolongan", rows[:5]), Section("Lain", rows[5:])]
    )
    await wa.send_message(SARI.bsuid, "Topik apa?", buttons=topics)
    await wa.request_location(SARI.bsuid, "Di mana kejadiannya?")
    await wa.send_location(SARI.bsuid, -6.2, 106.8, name="Puskesmas", address="Jl. Sehat 1")
    listed, asked, place = fake.sent(SARI)
    assert fake.buttons(listed)[0] == ("topic:0", "Topik 0")
    assert len(fake.buttons(listed)) == 10
    assert asked.content["type"] == "location_request_message"
    assert place.type == "location"
    assert place.content["name"] == "Puskesmas"
    assert fake.texts_to(SARI) == ["Topik apa?", "Di mana kejadiannya?"]


async def test_template(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    body = {"type": "body", "parameters": [{"type": "text", "text": "Sari"}]}
    sent = await wa.send_template(
        SARI.bsuid, "pengingat_rapat", TemplateLanguage.INDONESIAN, [body]
    )
    assert str(sent.status) == "accepted"
    template = fake.last_to(SARI).content
    assert template["name"] == "pengingat_rapat"
    assert template["language"] == {"code": "id"}
    assert template["components"][0]["parameters"] == [{"type": "text", "text": "Sari"}]


async def test_unapproved_template_is_refused(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    fake.approved_templates = {"pengingat_rapat"}
    with pytest.raises(wa_errors.TemplateNotExists):
        await wa.send_template(SARI.bsuid, "promo", TemplateLanguage.INDONESIAN)


async def test_image_and_document_uploads(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    """Bytes are uploaded (multipart) first, then sent by media id."""
    await wa.send_image(SARI.bsuid, PNG, caption="Kode QR", mime_type="image/png")
    await wa.send_document(SARI.bsuid, b"%PDF-1.4 laporan", filename="laporan.pdf")
    image, document = fake.sent(SARI)
    assert image.content["caption"] == "Kode QR"
    uploaded = fake.media_of(image)
    assert uploaded is not None
    assert uploaded.content == PNG
    assert uploaded.mime_type == "image/png"
    pdf = fake.media_of(document)
    assert pdf is not None
    assert pdf.filename == "laporan.pdf"
    assert pdf.content.startswith(b"%PDF")
    assert document.content["filename"] == "laporan.pdf"
    assert [m.id for m in fake.uploads] == [uploaded.id, pdf.id]


async def test_media_by_unknown_id_or_by_link(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    with pytest.raises(wa_errors.WhatsAppError) as refused:
        await wa.send_image(SARI.bsuid, "999")
    assert refused.value.code == 100
    await wa.send_image(SARI.bsuid, "https://example.org/poster.jpg")
    assert fake.last_to(SARI).content == {"link": "https://example.org/poster.jpg"}


async def test_mark_as_read_and_typing(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    assert (await wa.mark_message_as_read("wamid.ABC")).success
    assert (await wa.indicate_typing("wamid.DEF")).success
    assert [(r.message_id, r.typing) for r in fake.reads] == [
        ("wamid.ABC", False),
        ("wamid.DEF", True),
    ]
    assert fake.messages == []


# -- Meta's limits ----------------------------------------------------------------------------

ROW = SectionRow("Topik", "topic:1")
LIMITS: dict[str, tuple[dict[str, Any], int]] = {
    "empty text": ({"text": ""}, 100),
    "text over 4096": ({"text": "x" * 4097}, 100),
    "interactive body over 1024": ({"text": "x" * 1025, "buttons": [Button("Ya", "y")]}, 131009),
    "header over 60": ({"header": "x" * 61, "buttons": [Button("Ya", "y")]}, 131009),
    "footer over 60": ({"footer": "x" * 61, "buttons": [Button("Ya", "y")]}, 131009),
    "4 buttons": ({"buttons": [Button(str(n), str(n)) for n in range(4)]}, 131009),
    "button title over 20": ({"buttons": [Button("x" * 21, "y")]}, 131009),
    "button id over 256": ({"buttons": [Button("Ya", "y" * 257)]}, 131009),
    "duplicate button ids": ({"buttons": [Button("Ya", "y"), Button("Yes", "y")]}, 131009),
    "list label over 20": ({"buttons": SectionList("x" * 21, [Section("S", [ROW])])}, 131009),
    "11 rows": (
        {"buttons": SectionList("Pilih", [
            Section("A", [SectionRow(str(n), f"a{n}") for n in range(6)]),
            Section("B", [SectionRow(str(n), f"b{n}") for n in range(5)]),
        ])},
        131009,
    ),
    "row title over 24": (
        {"buttons": SectionList("Pilih", [Section("S", [SectionRow("x" * 25, "r")])])},
        131009,
    ),
    "row description over 72": (
        {"buttons": SectionList("Pilih", [Section("S", [SectionRow("T", "r", "x" * 73)])])},
        131009,
    ),
    "row id over 200": (
        {"buttons": SectionList("Pilih", [Section("S", [SectionRow("T", "r" * 201)])])},
        131009,
    ),
    "section title over 24": (
        {"buttons": SectionList("Pilih", [Section("x" * 25, [ROW])])},
        131009,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", LIMITS)
async def test_limits_are_refused(fake: FakeWhatsApp, wa: WhatsApp, case: str) -> None:
    """Meta refuses 100 ("Invalid parameter": pywa's plain `WhatsAppError`) or 131009
    ("Parameter value is not valid": pywa's `InvalidParameter`); nothing is sent."""
    kwargs, code = LIMITS[case]
    arguments: dict[str, Any] = {"to": SARI.bsuid, "text": "Pilih"} | kwargs
    with pytest.raises(wa_errors.WhatsAppError) as refused:
        await wa.send_message(**arguments)
    expected = wa_errors.InvalidParameter if code == 131009 else wa_errors.WhatsAppError
    assert type(refused.value) is expected
    assert refused.value.code == code
    assert refused.value.status_code == 400
    assert refused.value.type == "OAuthException"
    assert refused.value.fbtrace_id
    assert refused.value.details
    assert fake.messages == []
    (refusal,) = fake.refusals
    assert (refusal.to, refusal.code, refusal.injected) == (SARI.bsuid, code, False)


async def test_limits_at_the_edge_are_accepted(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    buttons = [Button("x" * 20, "a" * 256), Button("b", "b"), Button("c", "c")]
    await wa.send_message(SARI.bsuid, "x" * 1024, header="h" * 60, footer="f" * 60, buttons=buttons)
    rows = [SectionRow("t" * 24, f"{n}".rjust(200, "r"), "d" * 72) for n in range(10)]
    await wa.send_message(
        SARI.bsuid, "Pilih", buttons=SectionList("l" * 20, [Section("s" * 24, rows)])
    )
    await wa.send_message(SARI.bsuid, "x" * 4096)
    assert len(fake.messages) == 3
    assert fake.refusals == []


# -- faults -----------------------------------------------------------------------------------

FAULTS: dict[int, tuple[type[wa_errors.WhatsAppError], int]] = {
    131047: (wa_errors.ReEngagementMessage, 400),
    130429: (wa_errors.RateLimitHit, 400),
    131056: (wa_errors.TooManyMessages, 400),
    131026: (wa_errors.MessageUndeliverable, 400),
    131048: (wa_errors.SpamRateLimitHit, 400),
    131000: (wa_errors.UnknownError, 500),
    100: (wa_errors.WhatsAppError, 400),
}


@pytest.mark.parametrize("code", FAULTS)
async def test_injected_faults_raise_pywa_errors(
    fake: FakeWhatsApp, wa: WhatsApp, code: int
) -> None:
    error, status = FAULTS[code]
    fake.fail(code)
    with pytest.raises(wa_errors.WhatsAppError) as refused:
        await wa.send_message(SARI.bsuid, "Halo")
    assert type(refused.value) is error
    assert (refused.value.code, refused.value.status_code) == (code, status)
    assert refused.value.message.startswith(f"(#{code}) ")
    (refusal,) = fake.refusals
    assert refusal.injected
    assert refusal.code == code
    await wa.send_message(SARI.bsuid, "Halo lagi")  # the fault was used up
    assert fake.texts_to(SARI) == ["Halo lagi"]


async def test_fault_for_one_user_and_several_times(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    fake.add_user(ANDI)
    fake.fail(131026, to=ANDI, count=2)
    await wa.send_message(SARI.bsuid, "untuk Sari")
    for to in (ANDI.wa_id or "", ANDI.bsuid):
        with pytest.raises(wa_errors.MessageUndeliverable):
            await wa.send_message(to, "untuk Andi")
    await wa.send_message(ANDI.bsuid, "sekarang bisa")
    assert fake.texts_to(ANDI) == ["sekarang bisa"]
    assert fake.faults == []


async def test_slow_answers(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    fake.delay = 0.2
    started = time.monotonic()
    await wa.send_message(SARI.bsuid, "pelan")
    assert time.monotonic() - started >= 0.2


async def test_wrong_token_and_wrong_phone_id(fake: FakeWhatsApp) -> None:
    async with httpx.AsyncClient(transport=GraphRedirect(fake.base_url)) as session:
        stranger = WhatsApp(phone_id=PHONE_ID, token="EAA-wrong", session=session)
        with pytest.raises(wa_errors.ExpiredAccessToken) as refused:
            await stranger.send_message(SARI.bsuid, "Halo")
        assert (refused.value.code, refused.value.status_code) == (190, 401)
    async with httpx.AsyncClient(transport=GraphRedirect(fake.base_url)) as session:
        other = WhatsApp(phone_id="555", token=TOKEN, session=session)
        with pytest.raises(wa_errors.WhatsAppError) as missing:
            await other.send_message(SARI.bsuid, "Halo")
        assert (missing.value.code, missing.value.subcode) == (100, 33)
    assert fake.messages == []


async def test_service_window(fake: FakeWhatsApp, wa: WhatsApp, webhook: Webhook) -> None:
    """With `enforce_window`, only templates reach a user who has not written in 24 hours."""
    fake.enforce_window = True
    with pytest.raises(wa_errors.ReEngagementMessage):
        await wa.send_message(SARI.bsuid, "Pengingat")
    await wa.send_template(SARI.bsuid, "pengingat_rapat", TemplateLanguage.INDONESIAN)
    await fake.post(webhook.url, fake.text(SARI, "halo"))
    await wa.send_message(SARI.wa_id or "", "Pengingat")
    assert [m.type for m in fake.sent(SARI)] == ["template", "text"]


# -- media ------------------------------------------------------------------------------------


async def test_media_round_trip(fake: FakeWhatsApp, wa: WhatsApp) -> None:
    media_id = fake.add_media(PNG, "image/png")
    url = await wa.get_media_url(media_id)
    assert (url.id, url.mime_type, url.file_size) == (media_id, "image/png", len(PNG))
    assert url.url.startswith(fake.base_url + "/whatsapp_business/attachments/?mid=")
    assert await wa.get_media_bytes(url.url) == PNG
    async with httpx.AsyncClient() as anonymous:  # the URL alone is not enough
        assert (await anonymous.get(url.url)).status_code == 401
    with pytest.raises(wa_errors.WhatsAppError):
        await wa.get_media_url("424242")


async def test_media_urls_on_metas_host(fake: FakeWhatsApp) -> None:
    """With `media_host`, URLs look like Meta's (pywa then treats them as WhatsApp media), and
    the transport must send that host to the fake too."""
    fake.media_host = "https://lookaside.fbsbx.com"
    hosts = ("graph.facebook.com", "lookaside.fbsbx.com")
    async with httpx.AsyncClient(
        transport=GraphRedirect(fake.base_url, hosts=frozenset(hosts))
    ) as session:
        client = WhatsApp(phone_id=PHONE_ID, token=TOKEN, session=session)
        url = await client.get_media_url(fake.add_media(PNG, "image/png"))
        assert url.url.startswith("https://lookaside.fbsbx.com/whatsapp_business/attachments/")
        assert await client.get_media_bytes(url.url) == PNG


# -- acting as users: webhooks through pywa's own server ---------------------------------------


async def posted(fake: FakeWhatsApp, hook: Webhook, body: dict[str, Any], kind: type[Any]) -> Any:
    """Post `body` and return the update pywa parsed from it."""
    before = len(hook.of(kind))
    assert await fake.post(hook.url, body) == (200, "OK")
    await fake.wait_for(lambda: len(hook.of(kind)) > before, within=5)
    return hook.of(kind)[-1]


async def test_text_and_user_ids(fake: FakeWhatsApp, webhook: Webhook) -> None:
    message: Message = await posted(fake, webhook, fake.text(SARI, "Halo"), Message)
    assert (message.type, message.text) == (MessageType.TEXT, "Halo")
    user = message.from_user
    assert (user.bsuid, user.wa_id, user.name) == (SARI.bsuid, SARI.wa_id, "Sari")
    assert message.id.startswith("wamid.")
    assert message.metadata.phone_number_id == PHONE_ID
    hidden: Message = await posted(fake, webhook, fake.text(HIDDEN, "Hai"), Message)
    assert (hidden.from_user.bsuid, hidden.from_user.wa_id) == (HIDDEN.bsuid, None)


async def test_button_and_list_replies(fake: FakeWhatsApp, wa: WhatsApp, webhook: Webhook) -> None:
    sent = await wa.send_message(SARI.bsuid, "Setuju?", buttons=[Button("Ya", "consent:yes")])
    pressed: CallbackButton[str] = await posted(
        fake, webhook, fake.button_reply(SARI, "consent:yes", "Ya"), CallbackButton
    )
    assert (pressed.data, pressed.title) == ("consent:yes", "Ya")
    assert pressed.reply_to_message is not None
    assert pressed.reply_to_message.id == sent.id
    picked: CallbackSelection[str] = await posted(
        fake, webhook, fake.list_reply(SARI, "topic:3", "Luka bakar", "Api"), CallbackSelection
    )
    assert (picked.data, picked.title, picked.description) == ("topic:3", "Luka bakar", "Api")


async def test_location_contact_and_image(fake: FakeWhatsApp, webhook: Webhook) -> None:
    place: Message = await posted(fake, webhook, fake.location(SARI, -6.9, 107.6, "Pasar"), Message)
    assert place.location is not None
    assert (place.location.latitude, place.location.longitude) == (-6.9, 107.6)
    assert place.location.name == "Pasar"
    card: Message = await posted(fake, webhook, fake.contact(SARI, "+62 812-3456-7001"), Message)
    assert card.contacts is not None
    assert card.contacts[0].phones[0].phone == "+62 812-3456-7001"
    assert card.contacts[0].phones[0].wa_id == "6281234567001"
    for with_url in (True, False):
        body = fake.image(SARI, PNG, "Luka di tangan", with_url=with_url)
        photo: Message = await posted(fake, webhook, body, Message)
        assert photo.caption == "Luka di tangan"
        assert photo.image is not None
        assert (photo.image.url is not None) is with_url
        # pywa's hints give async messages the sync media classes, so call get_bytes untyped
        media: Any = photo.image
        assert await media.get_bytes() == PNG


@pytest.mark.parametrize(
    ("kind", "type"),
    [
        ("sticker", MessageType.STICKER),
        ("video", MessageType.VIDEO),
        ("voice", MessageType.AUDIO),
        ("document", MessageType.DOCUMENT),
        ("reaction", MessageType.REACTION),
        ("poll", MessageType.UNSUPPORTED),
    ],
)
async def test_unsupported_kinds(
    fake: FakeWhatsApp, webhook: Webhook, kind: str, type: MessageType
) -> None:
    message: Message = await posted(fake, webhook, fake.unsupported(SARI, kind), Message)
    assert message.type == type
    if kind == "poll":
        assert message.error is not None
        assert message.error.code == 131051


async def test_statuses(fake: FakeWhatsApp, webhook: Webhook) -> None:
    for status in ("sent", "delivered", "read"):
        update: MessageStatus[Any] = await posted(
            fake, webhook, fake.status("wamid.X1", status, SARI), MessageStatus
        )
        assert (update.id, str(update.status), update.from_user.bsuid) == (
            "wamid.X1", status, SARI.bsuid,
        )  # fmt: skip
    failed: MessageStatus[Any] = await posted(
        fake, webhook, fake.status("wamid.X2", "failed", SARI.wa_id or "", 131026), MessageStatus
    )
    assert failed.error is not None
    assert type(failed.error) is wa_errors.MessageUndeliverable


async def test_automatic_statuses(fake: FakeWhatsApp, wa: WhatsApp, webhook: Webhook) -> None:
    fake.add_user(SARI)
    fake.statuses_to(webhook.url)
    sent = await wa.send_message(SARI.wa_id or "", "Halo")
    await fake.wait_for(lambda: len(webhook.of(MessageStatus)) == 2, within=5)
    statuses = webhook.of(MessageStatus)
    assert [(s.id, str(s.status)) for s in statuses] == [(sent.id, "sent"), (sent.id, "delivered")]
    assert statuses[0].from_user.bsuid == SARI.bsuid
    assert all(d.status == 200 for d in fake.deliveries)


async def test_signatures_and_verification(fake: FakeWhatsApp, webhook: Webhook) -> None:
    body = fake.text(SARI, "Halo")
    assert (await fake.post(webhook.url, body, signature=None))[0] == 401
    assert (await fake.post(webhook.url, body, secret="not-the-secret"))[0] == 403
    raw = b'{"object": "whatsapp_business_account"}'
    assert (await fake.post(webhook.url, None, raw=raw, signature=sign(raw)))[0] == 200
    assert await fake.verify(webhook.url, VERIFY_TOKEN, "1158201444") == (200, "1158201444")
    assert (await fake.verify(webhook.url, "wrong", "1158201444"))[0] == 403
    assert webhook.of(Message) == []


def test_users_need_a_bsuid() -> None:
    with pytest.raises(ValueError, match="BSUID"):
        FakeWhatsAppUser("6281234567001", "6281234567001", "Sari")
