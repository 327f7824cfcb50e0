"""WhatsApp end to end: the real bot (`run_bot`, pywa, uvicorn) against the local Cloud API fake,
with signed webhook POSTs as Meta sends them."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import json
import re
import socket
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app.demo import FISHERMEN_CODE, seed_demo
from bot.app.runner import RunError, run_bot
from bot.base import keys
from bot.base.clock import utc_now
from bot.base.models import MAX_CAPTION_CHARS, Channel, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.channels.whatsapp import WhatsAppChannel, split_updates
from bot.core.engine import Engine
from bot.core.inbox import Inbox
from bot.domain.joinlinks import whatsapp_join_link
from bot.storage.database import Database
from bot.storage.records import Group, Role
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from tests.channels.conftest import remind_of_a_meeting_soon, start_bot
from tests.conftest import CONSENTED, SCRIPTED_PACE, RowCounter
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegram, FakeUser
from tests.fakes.whatsapp_api import (
    APP_SECRET,
    PHONE_ID,
    TOKEN,
    VERIFY_TOKEN,
    FakeWhatsApp,
    FakeWhatsAppUser,
    Sent,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "whatsapp"
KADER = FakeWhatsAppUser("ID.7001", "6281200007001", "Sari")
WORKER = FakeWhatsAppUser("ID.8001", "6281200008001", "Rudi")
TELEGRAM_KADER = FakeUser(7001, "Sari")


def caption_title(caption: str) -> str:
    """The topic of a card's caption: "Gigitan ular (2/3)" is a card of "Gigitan ular"."""
    return re.sub(r" \(\d+/\d+\)$", "", caption)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def settings(tmp_path: Path, fake: FakeWhatsApp) -> Settings:
    return Settings(
        data_dir=tmp_path,
        whatsapp_phone_id=PHONE_ID,
        whatsapp_token=SecretStr(TOKEN),
        whatsapp_verify_token=SecretStr(VERIFY_TOKEN),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        whatsapp_api_url=fake.base_url,
        whatsapp_webhook_listen="127.0.0.1",
        whatsapp_webhook_port=free_port(),
        inbound_per_minute=SCRIPTED_PACE,
        quiet_hours="00:00-00:00",
        scheduled_summaries=False,  # real clock: no weekly summary on a Monday
    )


@pytest.fixture
def url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.whatsapp_webhook_port}{settings.whatsapp_webhook_path}"


async def seed(
    settings: Settings,
    kader_seen: dt.datetime | None = None,
    *,
    channel: Channel = Channel.WHATSAPP,
    kader_ref: str = KADER.bsuid,
) -> None:
    """Demo groups, and Bu Sari as kader of the fishermen group (on WhatsApp by default)."""
    database = await Database.open(settings.database)
    now = utc_now()
    await seed_demo(database, now)
    async with database.unit_of_work() as uow:
        group = await uow.groups.by_code(FISHERMEN_CODE)
        assert group is not None
        kader = await uow.users.create(
            channel=channel, platform_id=kader_ref, name="Sari", language="id",
            consent_version=CONSENTED, now=kader_seen or now,
        )  # fmt: skip
        await uow.memberships.join(kader.id, group.id, now)
        await uow.roles.grant(
            user_id=kader.id, role=Role.KADER, group_id=group.id, granted_by="t", now=now
        )
    await database.close()


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[None]:
    await seed(settings)
    async with running(settings):
        yield


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[None]:
    bot = await start_bot(settings)
    try:
        yield
    finally:
        await bot.shutdown()


async def says(
    fake: FakeWhatsApp, url: str, user: FakeWhatsAppUser, text: str, expected: str
) -> None:
    """`user` writes `text`; wait for an answer containing `expected`."""
    before = len(fake.texts_to(user))
    assert (await fake.post(url, fake.text(user, text)))[0] == 200
    await fake.wait_for(lambda: any(expected in t for t in fake.texts_to(user)[before:]))


async def taps(
    fake: FakeWhatsApp, url: str, user: FakeWhatsAppUser, token: str, expected: str
) -> None:
    """`user` taps the button or list row `token` of the last message offering it."""

    def offers() -> list[Sent]:
        return [m for m in fake.sent(user) if token in dict(fake.buttons(m))]

    await fake.wait_for(lambda: bool(offers()))  # a long answer's buttons come in its last part
    offering = offers()[-1]
    title = dict(fake.buttons(offering))[token]
    list_row = offering.content.get("type") == "list"
    body = (fake.list_reply if list_row else fake.button_reply)(
        user, token, title, reply_to=offering
    )
    before = len(fake.texts_to(user))
    assert (await fake.post(url, body))[0] == 200
    await fake.wait_for(lambda: any(expected in t for t in fake.texts_to(user)[before:]))


def rows(settings: Settings, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return RowCounter(settings.database)(sql, *params)


async def register(fake: FakeWhatsApp, url: str, user: FakeWhatsAppUser) -> None:
    await says(fake, url, user, "halo", "Pilih bahasa")
    await taps(fake, url, user, "lang:id", "Apakah Anda setuju?")
    await taps(fake, url, user, "consent:yes", "Siapa nama Anda?")
    await says(fake, url, user, user.name, "Nomor HP Anda?")
    await says(fake, url, user, "0812 3456 7890", "kode")
    await says(fake, url, user, FISHERMEN_CODE, "sudah masuk grup")


# -- the webhook itself -----------------------------------------------------------------------
async def test_meta_verification_challenge(fake: FakeWhatsApp, url: str, bot: None) -> None:
    assert await fake.verify(url, VERIFY_TOKEN, "8412") == (200, "8412")
    status, _ = await fake.verify(url, "not-the-token", "8412")
    assert status == 403


async def test_only_correctly_signed_updates_are_handled(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    wrong = await fake.post(url, fake.text(WORKER, "halo"), secret="someone-else")
    missing = await fake.post(url, fake.text(WORKER, "halo"), signature=None)
    assert (wrong[0], missing[0]) == (403, 401)
    await says(fake, url, WORKER, "halo", "Pilih bahasa")
    assert len(fake.texts_to(WORKER)) == 1, "only the signed message was answered"


async def test_every_kind_of_webhook_is_handled_or_ignored_safely(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    files = sorted(FIXTURES.glob("*.json"))
    assert len(files) >= 19, "the recorded webhook bodies are missing"
    for path in files:
        for case, body in json.loads(path.read_text(encoding="utf-8")).items():
            ours = copy.deepcopy(body)
            for entry in ours.get("entry", []):
                for change in entry.get("changes", []):
                    metadata = change.get("value", {}).get("metadata")
                    if isinstance(metadata, dict):
                        metadata["phone_number_id"] = PHONE_ID
            status, _ = await fake.post(url, ours)
            assert status == 200, f"{path.name} / {case}"
    await says(fake, url, WORKER, "halo", "Pilih bahasa")  # still alive and answering


async def test_a_message_delivered_twice_by_meta_is_answered_once(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    body = fake.text(WORKER, "halo")
    await fake.post(url, body)
    await fake.wait_for(lambda: len(fake.texts_to(WORKER)) == 1)
    again = copy.deepcopy(body)
    again["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "1"  # not the same bytes
    assert (await fake.post(url, again))[0] == 200
    await says(fake, url, WORKER, "batal", "dibatalkan")
    assert sum("Pilih bahasa" in t for t in fake.texts_to(WORKER)) == 1


# -- the bot on WhatsApp ----------------------------------------------------------------------
async def test_registration_with_buttons_and_the_kader_told(
    fake: FakeWhatsApp, url: str, settings: Settings, bot: None
) -> None:
    await register(fake, url, WORKER)
    await fake.wait_for(lambda: any("Anggota baru: Rudi" in t for t in fake.texts_to(KADER)))
    assert rows(settings, "SELECT channel, platform_id FROM users WHERE name = 'Rudi'") == [
        ("whatsapp", WORKER.bsuid)
    ]


async def test_first_aid_from_free_text(fake: FakeWhatsApp, url: str, bot: None) -> None:
    await says(fake, url, KADER, "tmn sy kna kail di jari", "Langkah 1 dari")
    await taps(fake, url, KADER, "fa:next", "Langkah 2 dari")


async def test_status_webhooks_are_recorded_on_the_outbox(
    fake: FakeWhatsApp, url: str, settings: Settings, bot: None
) -> None:
    fake.statuses_to(url, statuses=("sent", "delivered", "read"))
    await register(fake, url, WORKER)  # the kader's "new member" notice goes via the outbox
    seen = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL AND read_at IS NOT NULL"
    await fake.wait_for(lambda: rows(settings, seen) == [(1,)])


async def test_a_status_that_overtakes_the_sent_mark_is_recorded_all_the_same(
    fake: FakeWhatsApp, settings: Settings
) -> None:
    """Meta's "delivered" comes while the delivery job still waits for the send's answer: the
    inbox hands the status over again once the message id is written."""
    await seed(settings)
    database = await Database.open(settings.database)
    try:
        texts = Texts.load()
        inbox = Inbox(database)
        engine = Engine(database, texts, settings, Knowledge.load(), CONVERSATIONS)
        channel = WhatsAppChannel(engine, settings, texts, inbox)
        async with database.unit_of_work() as uow:
            kader = await uow.users.by_platform(Channel.WHATSAPP, KADER.bsuid)
            assert kader is not None
            payload = Reply(key="t", text="x").model_dump_json()
            await uow.outbox.enqueue(
                user_id=kader.id,
                kind="t",
                dedupe_key=keys.queued_reply("test", "t", 0),
                now=utc_now(),
                payload=payload,
            )
            (message,) = await uow.outbox.claim(
                Channel.WHATSAPP, utc_now(), utc_now() + dt.timedelta(minutes=1), 10
            )
        await inbox.receive(
            Channel.WHATSAPP, list(split_updates(fake.status("wamid.X", "delivered", KADER)))
        )
        await inbox.drained()
        assert rows(settings, "SELECT COUNT(*) FROM inbox") == [(1,)], "kept for later"
        async with database.unit_of_work() as uow:
            await uow.outbox.mark_sent(message.id, utc_now(), "wamid.X")
        delivered = "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NOT NULL"
        await fake.wait_for(lambda: rows(settings, delivered) == [(1,)])
        await inbox.drained()
        assert rows(settings, "SELECT COUNT(*) FROM inbox") == [(0,)]
        await channel.close()
    finally:
        await database.close()


async def test_an_alert_to_a_kader_silent_for_a_day_goes_as_a_template(
    fake: FakeWhatsApp, url: str, settings: Settings
) -> None:
    await seed(settings, kader_seen=utc_now() - dt.timedelta(hours=30))
    fake.enforce_window = True
    async with running(settings):
        await register(fake, url, WORKER)
        await fake.wait_for(lambda: bool(fake.sent(KADER, "template")))
    (template,) = fake.sent(KADER, "template")
    assert template.content["name"] == "posukk_pemberitahuan"
    assert "Rudi" in json.dumps(template.content["components"])
    assert fake.refusals == [], "no free text was tried outside the window"


async def test_half_a_whatsapp_configuration_is_refused(settings: Settings) -> None:
    with pytest.raises(RunError, match="POSUKK_WHATSAPP_APP_SECRET"):
        await run_bot(settings.model_copy(update={"whatsapp_app_secret": None}), asyncio.Event())


async def tap_title(
    fake: FakeWhatsApp, url: str, user: FakeWhatsAppUser, title: str, expected: str
) -> None:
    """`user` taps the button or list row labelled `title` in the last interactive message."""
    await fake.wait_for(lambda: any(fake.buttons(m) for m in fake.sent(user)))
    offering = next(m for m in reversed(fake.sent(user)) if fake.buttons(m))
    token = next(token for token, label in fake.buttons(offering) if label == title)
    await taps(fake, url, user, token, expected)


def menu_lists(fake: FakeWhatsApp, user: FakeWhatsAppUser, title: str) -> list[Sent]:
    """The list messages of the last menu: the one under `title`, then its "more" lists."""
    sent = fake.sent(user)
    first = max(i for i, m in enumerate(sent) if title in (m.text or ""))
    return [m for m in sent[first:] if m.content.get("type") == "list"]


async def test_lists_number_their_rows_and_speak_the_persons_language(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    await register(fake, url, WORKER)
    await fake.wait_for(lambda: any("Menu utama" in t for t in fake.texts_to(WORKER)))
    await fake.wait_for(lambda: fake.last_to(WORKER).content.get("type") == "list")
    await fake.wait_for(lambda: "Pilihan lain:" in (fake.last_to(WORKER).text or ""))
    lists = menu_lists(fake, WORKER, "Menu utama")
    for part in lists:
        action = part.content["action"]
        assert (action["button"], action["sections"][0]["title"]) == ("Pilih", "Pilihan")
    titles = [title for part in lists for _, title in fake.buttons(part)]
    assert len(titles) > 10, "the menu is long enough to need two lists"
    assert [t.split(". ", 1)[0] for t in titles] == [str(n) for n in range(1, len(titles) + 1)]
    assert "Pilihan lain:" in (lists[-1].text or "")
    await says(fake, url, WORKER, "/bahasa", "Pilih bahasa / Choose language")
    await says(fake, url, WORKER, "2", "Main menu")
    await fake.wait_for(lambda: fake.last_to(WORKER).content.get("type") == "list")
    await fake.wait_for(lambda: "More choices:" in (fake.last_to(WORKER).text or ""))
    lists = menu_lists(fake, WORKER, "Main menu")
    action = lists[0].content["action"]
    assert (action["button"], action["sections"][0]["title"]) == ("Choose", "Choices")
    rows = [title for part in lists for _, title in fake.buttons(part)]
    number = next(t for t in rows if t.endswith(". My data")).split(".")[0]
    await says(fake, url, WORKER, number, "Rudi")  # the number typed answers that row
    assert any("Apps: WhatsApp\n" in text for text in fake.texts_to(WORKER)[-3:])
    assert fake.refusals == []


async def test_a_wa_me_join_link_registers_into_its_group(
    fake: FakeWhatsApp, url: str, settings: Settings, bot: None
) -> None:
    link = whatsapp_join_link("+62 811 5000 123", await group_by_code(settings, FISHERMEN_CODE))
    text = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["text"][0]
    assert text == f"DAFTAR {FISHERMEN_CODE}", "what WhatsApp writes for the person to send"
    await says(fake, url, WORKER, text, "Pilih bahasa")
    await taps(fake, url, WORKER, "lang:id", "Apakah Anda setuju?")
    await taps(fake, url, WORKER, "consent:yes", "Siapa nama Anda?")
    await says(fake, url, WORKER, WORKER.name, "Nomor HP Anda?")
    await says(fake, url, WORKER, "0812 3456 7890", "sudah masuk grup")
    assert not any("kode" in t.lower() and "?" in t for t in fake.texts_to(WORKER)[-2:])
    joined = rows(
        settings,
        "SELECT g.join_code FROM memberships JOIN pos_groups g ON g.id = memberships.group_id"
        " JOIN users ON users.id = memberships.user_id WHERE users.name = ?",
        WORKER.name,
    )
    assert joined == [(FISHERMEN_CODE,)]


async def group_by_code(settings: Settings, code: str) -> Group:
    database = await Database.open(settings.database)
    try:
        async with database.unit_of_work() as uow:
            group = await uow.groups.by_code(code)
    finally:
        await database.close()
    assert group is not None
    return group


async def test_a_reminder_answered_by_typing_1_while_in_first_aid(
    fake: FakeWhatsApp, url: str, settings: Settings, bot: None
) -> None:
    await register(fake, url, WORKER)
    await says(fake, url, WORKER, "/p3k", "Pilih jenis cedera")
    await remind_of_a_meeting_soon(settings)
    await fake.wait_for(lambda: "Pertemuan bulanan" in fake.texts_to(WORKER)[-1])
    before = len(fake.texts_to(WORKER))
    await says(fake, url, WORKER, "1", "Tercatat: Hadir di Pertemuan bulanan")
    await fake.wait_for(lambda: "Pilih jenis cedera" in fake.texts_to(WORKER)[-1])
    assert len(fake.texts_to(WORKER)) - before == 2, "the answer, then the /p3k question again"
    assert rows(settings, "SELECT answer FROM rsvps") == [("yes",)]
    assert fake.refusals == []


async def test_a_full_incident_report_with_lists_buttons_a_location_and_a_photo(
    fake: FakeWhatsApp, url: str, settings: Settings, bot: None
) -> None:
    await register(fake, url, WORKER)
    await says(fake, url, WORKER, "/lapor", "Siapa yang celaka?")
    await says(fake, url, WORKER, "saya sendiri", "Laki-laki atau perempuan?")
    await tap_title(fake, url, WORKER, "Laki-laki", "Umurnya berapa")
    await says(fake, url, WORKER, "42", "Status kerjanya?")
    await says(fake, url, WORKER, "usaha sendiri", "Apa yang terjadi?")
    what = fake.last_to(WORKER)
    assert what.content["type"] == "list", "many kinds of injury: a list message"
    await taps(fake, url, WORKER, fake.buttons(what)[0][0], "Bagian tubuh mana")
    await taps(fake, url, WORKER, "rep:body:hand", "Kapan kejadiannya?")
    await says(fake, url, WORKER, "kemarin jam 7", "Di mana?")
    asked = [m for m in fake.sent(WORKER) if m.content.get("type") == "location_request_message"]
    assert asked, "the place question carries WhatsApp's share-location button"
    before = len(fake.texts_to(WORKER))
    await fake.post(url, fake.location(WORKER, 0.1357, 117.4891))
    await fake.wait_for(
        lambda: any("Sedang kerja apa" in t for t in fake.texts_to(WORKER)[before:])
    )
    await says(fake, url, WORKER, "memancing", "tanda bahaya")
    await says(fake, url, WORKER, "tidak", "Pertolongan apa")
    await says(fake, url, WORKER, "dicuci air bersih", "berhenti kerja")
    await tap_title(fake, url, WORKER, "Ya", "foto")
    before = len(fake.texts_to(WORKER))
    await fake.post(url, fake.image(WORKER, b"\xff\xd8\xff luka di jari"))
    await fake.wait_for(lambda: any("Kirim sekarang?" in t for t in fake.texts_to(WORKER)[before:]))
    await says(fake, url, WORKER, "kirim", "terkirim")
    await fake.wait_for(lambda: any("Rudi" in t and "UKK-" in t for t in fake.texts_to(KADER)))
    assert rows(settings, "SELECT latitude IS NOT NULL, photo_ref IS NOT NULL FROM incidents") == [
        (1, 1)
    ]
    assert fake.refusals == []


async def test_an_update_for_another_phone_number_is_ignored(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    elsewhere = fake.text(WORKER, "halo")
    elsewhere["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert (await fake.post(url, elsewhere))[0] == 200
    await says(fake, url, KADER, "/menu", "Menu utama")  # handled after the other one
    assert fake.texts_to(WORKER) == []


async def test_someone_no_longer_on_whatsapp_is_marked_unreachable(
    fake: FakeWhatsApp, url: str, settings: Settings, bot: None
) -> None:
    fake.fail(131026, to=KADER, count=5)
    await register(fake, url, WORKER)  # the kader's "new member" notice cannot be delivered
    unreachable = "SELECT COUNT(*) FROM users WHERE unreachable_at IS NOT NULL AND name = 'Sari'"
    await fake.wait_for(lambda: rows(settings, unreachable) == [(1,)])
    (refusal,) = [r for r in fake.refusals if r.injected]
    assert refusal.code == 131026, "one attempt, then the kader is skipped"


@contextlib.asynccontextmanager
async def with_telegram(settings: Settings) -> AsyncIterator[FakeTelegram]:
    """The bot on both apps, with Bu Sari as kader on Telegram (id 7001)."""
    telegram = FakeTelegram()
    await telegram.start()
    both = settings.model_copy(
        update={
            "telegram_token": SecretStr(TELEGRAM_TOKEN),
            "telegram_api_url": telegram.base_url,
            "telegram_file_url": telegram.base_file_url,
            "telegram_poll_timeout": 1,
        }
    )
    await seed(both, channel=Channel.TELEGRAM, kader_ref=str(TELEGRAM_KADER.id))
    try:
        async with running(both):
            yield telegram
    finally:
        await telegram.stop()


async def test_telegram_and_whatsapp_run_together_on_one_database(
    fake: FakeWhatsApp, url: str, settings: Settings
) -> None:
    """A worker registers on WhatsApp; the kader, on Telegram, hears of it from the same bot."""
    async with with_telegram(settings) as telegram:
        await register(fake, url, WORKER)
        await telegram.wait_for(
            lambda: any("Anggota baru: Rudi" in t for t in telegram.texts_to(7001))
        )


async def test_the_kader_links_her_whatsapp_to_her_telegram_account(
    fake: FakeWhatsApp, url: str, settings: Settings
) -> None:
    async with with_telegram(settings) as telegram:
        telegram.send_text(TELEGRAM_KADER, "/tautkan")
        await telegram.wait_for(lambda: any("/tautkan " in t for t in telegram.texts_to(7001)))
        code = next(t for t in telegram.texts_to(7001) if "/tautkan " in t).split()[3]
        await says(fake, url, KADER, f"/tautkan {code}", "Sambungkan akun ini dengan akun Sari")
        await taps(fake, url, KADER, "link:yes", "Tersambung")
        await says(fake, url, KADER, "/anggota", "Sari")  # a kader's command, on WhatsApp
    assert rows(settings, "SELECT channel, platform_id FROM users WHERE name = 'Sari'") == [
        ("whatsapp", KADER.bsuid)
    ]


async def test_a_kader_gone_from_whatsapp_is_told_on_her_linked_telegram_once(
    fake: FakeWhatsApp, url: str, settings: Settings
) -> None:
    async with with_telegram(settings) as telegram:
        telegram.send_text(TELEGRAM_KADER, "/tautkan")
        await telegram.wait_for(lambda: any("/tautkan " in t for t in telegram.texts_to(7001)))
        code = next(t for t in telegram.texts_to(7001) if "/tautkan " in t).split()[3]
        await says(fake, url, KADER, f"/tautkan {code}", "Sambungkan akun ini dengan akun Sari")
        await taps(fake, url, KADER, "link:yes", "Tersambung")
        await says(fake, url, KADER, "/anggota", "Menu utama")  # WhatsApp is where she is now
        await fake.wait_for(lambda: rows(settings, "SELECT COUNT(*) FROM inbox") == [(0,)])
        assert rows(settings, "SELECT channel FROM users WHERE name = 'Sari'") == [("whatsapp",)]
        before = len(telegram.texts_to(7001))
        fake.fail(131026, to=KADER, count=5)
        await register(fake, url, WORKER)  # the kader's "new member" notice
        await telegram.wait_for(
            lambda: any(WORKER.name in t for t in telegram.texts_to(7001)[before:])
        )
    (refusal,) = [r for r in fake.refusals if r.injected]
    assert refusal.code == 131026, "tried once on WhatsApp"
    assert rows(settings, "SELECT channel, unreachable_at FROM users WHERE name = 'Sari'") == [
        ("telegram", None)
    ]
    assert rows(settings, "SELECT rerouted_from FROM outbox WHERE rerouted_from IS NOT NULL") == [
        ("whatsapp",)
    ]


async def test_a_kader_broadcasts_a_photo_to_her_group_on_whatsapp(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    await register(fake, url, WORKER)
    await says(fake, url, KADER, "/siaran", "Tulis pesan siaran")
    await says(fake, url, KADER, "Besok kerja bakti di dermaga jam 7", "tambah foto")
    before = len(fake.texts_to(KADER))
    await fake.post(url, fake.image(KADER, b"\xff\xd8\xff poster kerja bakti"))
    await fake.wait_for(lambda: any("Pratinjau" in t for t in fake.texts_to(KADER)[before:]))
    await taps(fake, url, KADER, "bc:send", "mulai dikirim")
    await fake.wait_for(
        lambda: any("kerja bakti di dermaga" in t for t in fake.texts_to(WORKER)), 20
    )
    (photo,) = fake.sent(WORKER, "image")
    uploaded = fake.media_of(photo)
    assert uploaded is not None
    assert uploaded.content == b"\xff\xd8\xff poster kerja bakti"


async def test_a_kader_downloads_the_reports_as_a_file_on_whatsapp(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    await says(fake, url, KADER, "/laporan", "Laporan (belum selesai): 0")
    await taps(fake, url, KADER, "rv:export", "0 laporan")
    await fake.wait_for(lambda: bool(fake.sent(KADER, "document")))
    (document,) = fake.sent(KADER, "document")
    assert str(document.content["filename"]).endswith(".xlsx")
    uploaded = fake.media_of(document)
    assert uploaded is not None
    assert uploaded.content.startswith(b"PK"), "an Excel workbook (a zip file)"


async def test_a_shared_contact_answers_the_phone_question(
    fake: FakeWhatsApp, url: str, settings: Settings, bot: None
) -> None:
    await says(fake, url, WORKER, "halo", "Pilih bahasa")
    await taps(fake, url, WORKER, "lang:id", "Apakah Anda setuju?")
    await taps(fake, url, WORKER, "consent:yes", "Siapa nama Anda?")
    await says(fake, url, WORKER, "Rudi", "Nomor HP Anda?")
    await fake.post(url, fake.contact(WORKER, "+62 812-3456-7890", name="Pak Harto"))
    await fake.wait_for(lambda: any("kontak orang lain" in t for t in fake.texts_to(WORKER)))
    before = len(fake.texts_to(WORKER))
    await fake.post(url, fake.contact(WORKER, "+62 812-0000-8001"))
    await fake.wait_for(lambda: any("kode" in t for t in fake.texts_to(WORKER)[before:]))
    await says(fake, url, WORKER, FISHERMEN_CODE, "sudah masuk grup")
    assert rows(settings, "SELECT phone FROM users WHERE name = 'Rudi'") == [("+6281200008001",)]


async def test_a_message_meta_later_reports_failed_for_a_closed_window_goes_again_as_a_template(
    fake: FakeWhatsApp, url: str, settings: Settings, bot: None
) -> None:
    await register(fake, url, WORKER)
    await fake.wait_for(lambda: any("Anggota baru: Rudi" in t for t in fake.texts_to(KADER)))
    notice = next(m for m in fake.sent(KADER) if m.text and "Anggota baru: Rudi" in m.text)
    recorded = "SELECT COUNT(*) FROM outbox WHERE platform_message_id = ?"
    await fake.wait_for(lambda: rows(settings, recorded, notice.wamid) == [(1,)])
    await fake.post(url, fake.status(notice.wamid, "failed", KADER.bsuid, error_code=131047))
    await fake.wait_for(lambda: bool(fake.sent(KADER, "template")))
    (template,) = fake.sent(KADER, "template")
    assert "Rudi" in json.dumps(template.content["components"])
    again = "SELECT status FROM outbox WHERE template_only = 1"
    await fake.wait_for(lambda: rows(settings, again) == [("sent",)])


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("voice", "pesan suara"),
        ("audio", "pesan suara"),
        ("video", "video"),
        ("document", "membaca file"),
        ("sticker", "stiker"),
        ("reaction", "Terima kasih"),
        ("poll", "hanya bisa membaca"),
    ],
)
async def test_every_kind_of_message_gets_an_answer(
    fake: FakeWhatsApp, url: str, bot: None, kind: str, expected: str
) -> None:
    await says(fake, url, WORKER, "halo", "Pilih bahasa")
    assert (await fake.post(url, fake.unsupported(WORKER, kind)))[0] == 200
    await fake.wait_for(lambda: any(expected in t for t in fake.texts_to(WORKER)))
    await fake.wait_for(lambda: "Pilih bahasa" in fake.texts_to(WORKER)[-1])


async def test_a_photo_that_cannot_be_downloaded_is_asked_for_again(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    await says(fake, url, WORKER, "halo", "Pilih bahasa")
    body = fake.image(WORKER, b"\xff\xd8\xff luka", with_url=False)
    media_id = body["entry"][0]["changes"][0]["value"]["messages"][0]["image"]["id"]
    fake.media.pop(media_id)  # expired before the download
    assert (await fake.post(url, body))[0] == 200
    await fake.wait_for(lambda: any("foto gagal diterima" in t for t in fake.texts_to(WORKER)))


async def test_a_body_too_large_or_unsigned_is_refused_unread(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    status, _ = await fake.post(url, None, raw=b"{" + b" " * (512 * 1024) + b"}")
    assert status == 413
    status, _ = await fake.post(url, fake.text(WORKER, "halo"), signature=None)
    assert status == 401


async def test_the_sea_pack_arrives_as_captioned_images_on_whatsapp(
    fake: FakeWhatsApp, url: str, bot: None
) -> None:
    """`/kartu`: each card is one image message, its title as the caption, within Meta's
    limits (an image up to 5 MB; ours stay under 300 KB)."""
    knowledge = Knowledge.load()
    await says(fake, url, KADER, "/kartu", "Pilih paket")
    await taps(fake, url, KADER, "pack:laut", "kartu P3K")
    sea = [knowledge.topics[t].title.id for t in knowledge.packs["laut"].topics]
    await fake.wait_for(
        lambda: {caption_title(m.text or "") for m in fake.sent(KADER, "image")} == set(sea), 60
    )
    for image in fake.sent(KADER, "image"):
        assert len(image.text or "") <= MAX_CAPTION_CHARS
        media = fake.media_of(image)
        assert media is not None
        assert media.content.startswith(b"\x89PNG")
        assert len(media.content) < 300_000
