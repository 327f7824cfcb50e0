"""Telegram end to end: the real python-telegram-bot against a local Bot API server."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sys

import aiohttp
import pytest
from pydantic import SecretStr
from telegram import Bot

from bot.app.demo import FISHERMEN_CODE
from bot.base import keys
from bot.base.clock import utc_now
from bot.base.models import Channel, Reply
from bot.base.settings import Settings
from bot.channels.telegram import TelegramRenderer
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.text import split_text
from bot.storage.database import Database
from scheduler import periodic
from tests.channels.conftest import (
    KADER,
    OFFICER,
    RunningBot,
    fast_delivery,
    remind_of_a_meeting_soon,
    start_bot,
)
from tests.conftest import CONSENTED, database_env
from tests.fakes.telegram_api import TOKEN, FakeTelegram, FakeUser, Fault

WORKER = FakeUser(8001, "Rudi")


async def reply_to(telegram: FakeTelegram, user: FakeUser, text: str, expected: str) -> None:
    telegram.send_text(user, text)
    await telegram.wait_for(lambda: any(expected in t for t in telegram.texts_to(user.id)))


async def press(telegram: FakeTelegram, user: FakeUser, token: str, expected: str) -> None:
    message = next(
        m for m in reversed(list(telegram.messages.values()))
        if m["chat"]["id"] == user.id and token in dict((d, t) for t, d in telegram.buttons(m))
    )  # fmt: skip
    telegram.press(user, message, token)
    await telegram.wait_for(lambda: any(expected in t for t in telegram.texts_to(user.id)))


async def test_registration_from_a_deep_link_alerts_the_telegram_kader(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    await reply_to(telegram, WORKER, f"/start {FISHERMEN_CODE}", "Pilih bahasa")
    await press(telegram, WORKER, "lang:id", "Apakah Anda setuju?")
    await press(telegram, WORKER, "consent:yes", "Siapa nama Anda?")
    await reply_to(telegram, WORKER, "Rudi", "Nomor HP Anda?")
    asking = telegram.sent(WORKER.id, "sendMessage")[-1].params["reply_markup"]
    assert asking["keyboard"][0][0]["request_contact"] is True
    telegram.share_contact(WORKER, "+6281234567890")
    await telegram.wait_for(
        lambda: any("sudah masuk grup" in t for t in telegram.texts_to(WORKER.id))
    )
    await telegram.wait_for(
        lambda: any("Anggota baru: Rudi" in t for t in telegram.texts_to(KADER.id))
    )
    assert telegram.sent(method="answerCallbackQuery")


async def test_free_text_first_aid_then_the_next_step_by_a_press(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    """How a press is answered (in the pressed message, or below it) is
    `tests/channels/test_telegram_in_place.py`."""
    await reply_to(telegram, KADER, "tmn sy kna kail di jari", "Langkah 1 dari")
    await telegram.wait_for(lambda: bool(telegram.buttons(telegram.last_message_to(KADER.id))))
    menu = telegram.last_message_to(KADER.id)
    assert ("Langkah berikut", "fa:next") in telegram.buttons(menu)
    telegram.press(KADER, menu, "fa:next")
    await telegram.wait_for(lambda: any("Langkah 2 dari" in t for t in telegram.texts_to(KADER.id)))


async def test_forged_button_data_is_refused(telegram: FakeTelegram, bot: RunningBot) -> None:
    await reply_to(telegram, KADER, "/menu", "Menu utama")
    telegram.press(KADER, telegram.last_message_to(KADER.id), "cmd:daftargrup <script>")
    await telegram.wait_for(
        lambda: any("sudah tidak berlaku" in t for t in telegram.texts_to(KADER.id))
    )


async def test_sos_with_a_shared_location_reaches_the_kader(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    officer = FakeUser(7002, "Andi")
    await reply_to(telegram, officer, "/start", "Anda sudah terdaftar")
    worker = FakeUser(8002, "Joko")
    await reply_to(telegram, worker, f"/start {FISHERMEN_CODE}", "Pilih bahasa")
    await press(telegram, worker, "lang:id", "Apakah Anda setuju?")
    await press(telegram, worker, "consent:yes", "Siapa nama Anda?")
    await reply_to(telegram, worker, "Joko", "Nomor HP Anda?")
    await reply_to(telegram, worker, "0812 5555 6666", "sudah masuk grup")
    await reply_to(telegram, worker, "/sos", "Kirim lokasi")
    telegram.share_location(worker, 0.1357, 117.4891)
    await telegram.wait_for(lambda: any("SOS dari Joko" in t for t in telegram.texts_to(KADER.id)))
    alert = next(t for t in telegram.texts_to(KADER.id) if "SOS dari Joko" in t)
    assert "0.13570,117.48910" in alert
    assert "+6281255556666" in alert


async def test_photo_is_downloaded_and_kept_by_its_hash(
    telegram: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    content = b"\xff\xd8\xff fake jpeg bytes"
    telegram.send_photo(KADER, content)
    await telegram.wait_for(lambda: len(telegram.texts_to(KADER.id)) >= 1)
    digest = hashlib.sha256(content).hexdigest()
    assert (settings.data_dir / "photos" / f"{digest}.jpg").read_bytes() == content


async def test_command_menus_per_role_and_language(telegram: FakeTelegram, bot: RunningBot) -> None:
    kader_scope = json.dumps({"chat_id": KADER.id, "type": "chat"}, sort_keys=True)
    await telegram.wait_for(lambda: (kader_scope, "") in telegram.commands)
    default_id = telegram.commands[(json.dumps({"type": "default"}), "id")]
    names = [c["command"] for c in default_id]
    assert "sos" in names
    assert "anggota" not in names
    kader = [c["command"] for c in telegram.commands[(kader_scope, "")]]
    assert "anggota" in kader
    english = telegram.commands[(json.dumps({"type": "default"}), "en")]
    assert any(c["description"] == "First aid" for c in english)


async def test_a_restart_mid_conversation_resumes(telegram: FakeTelegram, bot: RunningBot) -> None:
    worker = FakeUser(8003, "Sinta")
    await reply_to(telegram, worker, "/start", "Pilih bahasa")
    await press(telegram, worker, "lang:id", "Apakah Anda setuju?")
    await press(telegram, worker, "consent:yes", "Siapa nama Anda?")
    await bot.shutdown()
    again = await start_bot(bot.settings)
    try:
        await reply_to(telegram, worker, "Sinta", "Nomor HP Anda?")
    finally:
        await again.shutdown()


async def queue(settings: Settings, recipients: dict[int, int]) -> list[str]:
    """Put `count` messages for each Telegram user id into the outbox; returns their texts."""
    database = await Database.open(settings.database)
    texts = []
    async with database.unit_of_work() as uow:
        now = utc_now()
        for platform_id, count in recipients.items():
            user = await uow.users.by_platform(Channel.TELEGRAM, str(platform_id))
            if user is None:
                user = await uow.users.create(
                    channel=Channel.TELEGRAM, platform_id=str(platform_id), name=f"W{platform_id}",
                    language="id", consent_version=CONSENTED, now=now,
                )  # fmt: skip
            for n in range(count):
                text = f"pesan {platform_id}-{n}"
                texts.append(text)
                payload = Reply(key="t", text=text).model_dump_json()
                await uow.outbox.enqueue(
                    user_id=user.id,
                    kind="test",
                    payload=payload,
                    dedupe_key=keys.queued_reply("test", text, 0),
                    now=now,
                )
    await database.close()
    return texts


async def test_a_429_storm_loses_and_doubles_nothing(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    texts = await queue(settings, {9000 + n: 6 for n in range(5)})
    telegram.faults.append(
        Fault("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, count=4)
    )
    running = await start_bot(settings, delivery_time=fast_delivery())
    try:
        await telegram.wait_for(
            lambda: len(telegram.sent(method="sendMessage")) >= len(texts), within=30
        )
    finally:
        await running.shutdown()
    delivered = [str(c.params["text"]) for c in telegram.sent(method="sendMessage")]
    assert sorted(delivered) == sorted(texts)
    database = await Database.open(settings.database)
    try:
        async with database.unit_of_work() as uow:
            pending = await uow.outbox.claim(Channel.TELEGRAM, utc_now(), utc_now(), 100)
        assert pending == []
    finally:
        await database.close()


async def test_a_user_who_blocked_the_bot_is_marked_unreachable(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    await queue(settings, {9100: 3, 9101: 1})
    telegram.faults.append(
        Fault("sendMessage", 403, "Forbidden: bot was blocked by the user", count=100, chat_id=9100)
    )
    running = await start_bot(settings)
    try:
        await telegram.wait_for(lambda: len(telegram.sent(9101, "sendMessage")) == 1)
        await telegram.wait_for(
            lambda: not any(f.chat_id == 9100 and f.count == 100 for f in telegram.faults)
        )
    finally:
        await running.shutdown()
    database = await Database.open(settings.database)
    try:
        async with database.unit_of_work() as uow:
            blocked = await uow.users.by_platform(Channel.TELEGRAM, "9100")
            assert blocked is not None
        faults_left = next(f.count for f in telegram.faults if f.chat_id == 9100)
        assert faults_left == 99, "only one attempt was made to the blocked chat"
    finally:
        await database.close()


async def test_webhook_mode_rejects_a_wrong_secret(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    port = _free_port()
    hooked = settings.model_copy(
        update={
            "telegram_webhook_url": "https://bot.example/telegram",
            "telegram_webhook_secret": SecretStr("right-secret"),
            "telegram_webhook_listen": "127.0.0.1",
            "telegram_webhook_port": port,
        }
    )
    running = await start_bot(hooked)
    try:
        assert telegram.webhook is not None, "registered before the bot is ready"
        assert telegram.webhook["secret_token"] == "right-secret"
        sender = FakeUser(8100, "W").as_dict()
        message = {"message_id": 1, "date": 1700000000, "chat": {"id": 8100, "type": "private"},
                   "from": sender, "text": "/start"}  # fmt: skip
        update = {"update_id": 1, "message": message}
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/telegram"
            wrong = await session.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert wrong.status == 403
            right = await session.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "right-secret"}
            )
            assert right.status == 200
        await telegram.wait_for(lambda: any("Pilih bahasa" in t for t in telegram.texts_to(8100)))
        assert len(telegram.texts_to(8100)) == 1, "the update with the wrong secret did nothing"
    finally:
        await running.shutdown()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_long_texts_are_split_below_the_limit() -> None:
    text = "\n".join(f"baris {n} " + "x" * 90 for n in range(200))
    chunks = split_text(text, 4096)
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


@pytest.mark.parametrize("missing", ["token", "secret"])
async def test_refuses_to_start_without_what_it_needs(settings: Settings, missing: str) -> None:
    import asyncio

    from bot.app.runner import RunError, run_bot

    broken = (
        settings.model_copy(update={"telegram_token": None})
        if missing == "token"
        else settings.model_copy(update={"telegram_webhook_url": "https://bot.example/telegram"})
    )
    with pytest.raises(RunError):
        await run_bot(broken, asyncio.Event())


async def test_posukk_run_stops_cleanly_on_sigterm(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    """The real command: serves a message on uvloop's event loop (asyncio's on Windows), then
    exits 0 on SIGTERM with the database closed."""
    env = {
        **os.environ,
        **database_env(settings),
        "POSUKK_DATA_DIR": str(settings.data_dir),
        "POSUKK_TELEGRAM_TOKEN": TOKEN,
        "POSUKK_TELEGRAM_API_URL": telegram.base_url,
        "POSUKK_TELEGRAM_FILE_URL": telegram.base_file_url,
        "POSUKK_TELEGRAM_POLL_TIMEOUT": "1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.app.cli", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        telegram.send_text(FakeUser(8200, "Dewi"), "/start")
        await telegram.wait_for(
            lambda: any("Pilih bahasa" in t for t in telegram.texts_to(8200)), within=30
        )
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()
    assert TOKEN not in stderr.decode(), "the token must never be logged"
    loop = "asyncio" if sys.platform == "win32" else "uvloop"
    assert f"event loop: {loop}" in stderr.decode()


async def test_an_export_arrives_as_a_document(telegram: FakeTelegram, bot: RunningBot) -> None:
    await reply_to(telegram, KADER, "/laporan", "Laporan (belum selesai): 0")
    await press(telegram, KADER, "rv:export", "0 laporan, dengan lembar LBKP-1")
    await telegram.wait_for(lambda: bool(telegram.documents))
    (_, content), *_ = telegram.documents
    assert content.startswith(b"PK"), "an XLSX file is a zip archive"


async def add_telegram_members(settings: Settings, ids: range) -> None:
    """Workers on Telegram in the demo fishermen group."""
    database = await Database.open(settings.database)
    async with database.unit_of_work() as uow:
        group = await uow.groups.by_code(FISHERMEN_CODE)
        assert group is not None
        for platform_id in ids:
            user = await uow.users.create(
                channel=Channel.TELEGRAM, platform_id=str(platform_id), name=f"W{platform_id}",
                language="id", consent_version=CONSENTED, now=utc_now(),
            )  # fmt: skip
            await uow.memberships.join(user.id, group.id, utc_now())
    await database.close()


async def test_a_broadcast_through_a_429_storm_reaches_each_member_once(
    telegram: FakeTelegram, settings: Settings, seeded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(periodic, "BROADCAST_TICK_SECONDS", 0.5)  # it starts within 0.5 s
    members = range(9200, 9240)
    await add_telegram_members(settings, members)
    telegram.faults.append(
        Fault("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, count=6)
    )
    running = await start_bot(settings, delivery_time=fast_delivery())
    try:
        await reply_to(telegram, OFFICER, "/siaran", "Tulis pesan siaran")
        await reply_to(telegram, OFFICER, "Besok cek tensi gratis di balai desa", "tambah foto")
        await press(telegram, OFFICER, "bc:nophoto", "Pratinjau")
        preview = telegram.texts_to(OFFICER.id)[-1]
        assert "Telegram 41" in preview  # 40 workers and the Telegram kader; demo ones are not
        await press(telegram, OFFICER, "bc:send", "mulai dikirim")

        def got_it(chat_id: int) -> int:
            return sum("cek tensi gratis" in t for t in telegram.texts_to(chat_id))

        await telegram.wait_for(lambda: all(got_it(m) for m in members), within=60)
        await telegram.wait_for(
            lambda: any("Siaran sudah selesai" in t for t in telegram.texts_to(OFFICER.id)),
            within=30,
        )
    finally:
        await running.shutdown()
    assert [got_it(m) for m in members] == [1] * len(members), "each member exactly once"
    assert got_it(KADER.id) == 1
    final = next(t for t in telegram.texts_to(OFFICER.id) if "Siaran sudah selesai" in t)
    assert "Terkirim 41" in final


async def test_a_progress_update_edits_the_message_it_replaces(telegram: FakeTelegram) -> None:
    renderer = TelegramRenderer()
    async with Bot(TOKEN, base_url=telegram.base_url, request=AiohttpRequest()) as bot:
        first = await renderer.send(bot, KADER.id, Reply(key="t", text="0 dari 10 selesai"))
        update = Reply(key="t", text="5 dari 10 selesai", replaces=first)
        assert await renderer.send(bot, KADER.id, update) == first
        gone = Reply(key="t", text="10 dari 10 selesai", replaces="999999")
        fresh = await renderer.send(bot, KADER.id, gone)  # no such message: sent anew
    assert [c.method for c in telegram.sent(KADER.id)] == [
        "sendMessage", "editMessageText", "editMessageText", "sendMessage"
    ]  # fmt: skip
    assert telegram.messages[(KADER.id, int(first))]["text"] == "5 dari 10 selesai"
    assert fresh != first


async def test_a_reminder_answered_by_typing_its_number_in_the_middle_of_first_aid(
    telegram: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    await reply_to(telegram, KADER, "/p3k", "Pilih jenis cedera")
    await remind_of_a_meeting_soon(settings)
    await telegram.wait_for(lambda: "Pertemuan bulanan" in telegram.texts_to(KADER.id)[-1])
    await reply_to(telegram, KADER, "1", "Tercatat: Hadir di Pertemuan bulanan")
    await telegram.wait_for(lambda: "Pilih jenis cedera" in telegram.texts_to(KADER.id)[-1])


async def test_save_card_sends_the_picture_with_its_title(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    """ "Simpan kartu" under an answer: one sendPhoto per picture, the title as its caption."""
    await reply_to(telegram, KADER, "tmn sy kna kail di jari", "Langkah 1 dari")
    await telegram.wait_for(lambda: bool(telegram.buttons(telegram.last_message_to(KADER.id))))
    menu = telegram.last_message_to(KADER.id)
    assert ("Simpan kartu", "fa:card") in telegram.buttons(menu)
    telegram.press(KADER, menu, "fa:card")
    await telegram.wait_for(lambda: len(telegram.sent(KADER.id, "sendPhoto")) >= 2)
    photos = telegram.sent(KADER.id, "sendPhoto")
    assert [p.params["caption"] for p in photos] == [
        f"Tertusuk kail / mata pancing ({n}/{len(photos)})" for n in range(1, len(photos) + 1)
    ]
    for photo in photos:
        picture = photo.params["photo"]
        assert isinstance(picture, bytes)
        assert picture.startswith(b"\x89PNG")
        assert len(picture) < 300_000


async def test_a_card_and_its_next_question_arrive_as_one_message(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    telegram.send_text(KADER, "tmn sy kna kail di jari")
    await telegram.wait_for(lambda: "fa:next" in str(telegram.sent(KADER.id, "sendMessage")))
    [answer] = telegram.sent(KADER.id, "sendMessage")
    assert "Langkah 1 dari" in answer.params["text"], "the card..."
    assert "fa:next" in str(answer.params["reply_markup"]), "...and the next step's button"
