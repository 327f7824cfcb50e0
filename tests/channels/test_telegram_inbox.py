"""Telegram through the inbox: a press survives Telegram's errors around it, an update no one
can read stops nobody, everything a person sends gets an answer, the webhook reads nothing
before the secret."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.base.settings import Settings
from tests.channels.conftest import KADER, RunningBot, start_bot
from tests.channels.test_durable import count
from tests.channels.test_telegram import reply_to
from tests.fakes.telegram_api import FakeTelegram, FakeUser, Fault

RETRY = "Too Many Requests: retry after 1"
FIRST_AID = "Pilih jenis cedera"


async def menu_message(telegram: FakeTelegram) -> dict[str, object]:
    """The main menu, asked for by typing: the chat's newest message."""
    menus = sum("Menu utama" in text for text in telegram.texts_to(KADER.id))
    telegram.send_text(KADER, "/menu")
    await telegram.wait_for(
        lambda: sum("Menu utama" in text for text in telegram.texts_to(KADER.id)) > menus
    )
    return telegram.last_message_to(KADER.id)


async def first_aid_buttons(telegram: FakeTelegram) -> dict[str, object]:
    await reply_to(telegram, KADER, "tmn sy kna kail di jari", "Langkah 1 dari")
    await telegram.wait_for(lambda: bool(telegram.buttons(telegram.last_message_to(KADER.id))))
    return telegram.last_message_to(KADER.id)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("answerCallbackQuery", 429, RETRY, retry_after=1),
        Fault("answerCallbackQuery", 502, "Bad Gateway"),
        Fault("editMessageText", 429, RETRY, retry_after=1),
        Fault("editMessageText", 502, "Bad Gateway"),
        Fault("sendMessage", 429, RETRY, retry_after=1),
    ],
    ids=lambda fault: f"{fault.method}-{fault.status}",
)
async def test_a_press_takes_effect_once_whatever_telegram_answers_around_it(
    telegram: FakeTelegram, bot: RunningBot, fault: Fault
) -> None:
    """A press on an older menu: the menu is retired (an edit) and the answer sent below it
    (the newest message is answered in place: `test_telegram_in_place.py`)."""
    older = await menu_message(telegram)
    await menu_message(telegram)
    telegram.faults.append(fault)
    telegram.press(KADER, older, "cmd:p3k")
    await telegram.wait_for(lambda: any(FIRST_AID in t for t in telegram.texts_to(KADER.id)))
    await telegram.wait_for(lambda: telegram.buttons(older) == [], within=15)
    assert fault not in telegram.faults, "the fault was met"
    assert sum(FIRST_AID in t for t in telegram.texts_to(KADER.id)) == 1
    assert str(older["text"]).endswith("➡️ Pertolongan pertama"), "retired, with the choice shown"


async def test_a_double_tap_is_answered_without_an_error(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    """The second retirement of the same message is "not modified" for Telegram: no harm."""
    older = await menu_message(telegram)
    await menu_message(telegram)
    telegram.press(KADER, older, "cmd:p3k")
    telegram.press(KADER, older, "cmd:p3k")
    await telegram.wait_for(
        lambda: any("sudah tidak berlaku" in t for t in telegram.texts_to(KADER.id))
    )
    assert str(older["text"]).count("➡️") == 1
    await telegram.wait_for(lambda: count(bot.settings, "SELECT COUNT(*) FROM inbox") == 0)
    assert count(bot.settings, "SELECT COUNT(*) FROM inbox WHERE failed_at IS NOT NULL") == 0


async def test_an_update_no_one_can_read_is_kept_once_and_everyone_else_answered(
    telegram: FakeTelegram, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "nomor rahasia 0812"
    with caplog.at_level(logging.INFO):
        telegram.push_raw({"message": {"message_id": 1, "text": secret}})  # no chat, no date
        await reply_to(telegram, KADER, "/menu", "Menu utama")
        other = FakeUser(8400, "Dewi")
        await reply_to(telegram, other, "/start", "Pilih bahasa")
    assert count(bot.settings, "SELECT COUNT(*) FROM inbox WHERE failed_at IS NOT NULL") == 1
    failures = [r for r in caplog.records if "kept as failed" in r.getMessage()]
    assert len(failures) == 1, "logged once, not at every poll"
    assert all(secret not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("voice", "pesan suara"),
        ("audio", "pesan suara"),
        ("video", "video"),
        ("video_note", "video"),
        ("animation", "video"),
        ("document", "membaca file"),
        ("sticker", "stiker"),
        ("dice", "hanya bisa membaca"),
    ],
)
async def test_every_kind_of_message_gets_an_answer(
    telegram: FakeTelegram, bot: RunningBot, kind: str, expected: str
) -> None:
    telegram.send_media(KADER, kind)
    await telegram.wait_for(lambda: any(expected in t for t in telegram.texts_to(KADER.id)))
    await telegram.wait_for(lambda: "Menu utama" in telegram.texts_to(KADER.id)[-1])


async def test_an_edit_a_reaction_and_someone_elses_contact_are_answered(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    sent = telegram.send_text(KADER, "menu")
    await telegram.wait_for(lambda: bool(telegram.texts_to(KADER.id)))
    telegram.edit(KADER, sent, "lapor")
    await telegram.wait_for(lambda: any("diubah" in t for t in telegram.texts_to(KADER.id)))
    telegram.react(KADER, telegram.last_message_to(KADER.id), "👍")
    await telegram.wait_for(lambda: any("Terima kasih" in t for t in telegram.texts_to(KADER.id)))
    card = telegram.share_contact(KADER, "+6281299990000")
    card["message"]["contact"]["user_id"] = 4242  # somebody else's card
    await telegram.wait_for(
        lambda: any("kontak orang lain" in t for t in telegram.texts_to(KADER.id))
    )


async def test_a_photo_that_cannot_be_downloaded_is_asked_for_again(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    update = telegram.send_photo(KADER, b"\xff\xd8 bytes")
    telegram.files.pop(update["message"]["photo"][-1]["file_id"])  # gone before the download
    await telegram.wait_for(
        lambda: any("foto gagal diterima" in t for t in telegram.texts_to(KADER.id))
    )


async def test_a_text_too_long_for_telegram_is_read_up_to_its_limit(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    telegram.send_text(KADER, "kena kail " * 500 + "\ud800")
    await telegram.wait_for(lambda: bool(telegram.texts_to(KADER.id)))
    await telegram.wait_for(lambda: count(bot.settings, "SELECT COUNT(*) FROM inbox") == 0)
    assert count(bot.settings, "SELECT COUNT(*) FROM inbox WHERE failed_at IS NOT NULL") == 0


async def test_the_webhook_checks_the_secret_first_and_caps_the_body(
    telegram: FakeTelegram, settings: Settings, seeded: None, unused_tcp_port: int
) -> None:
    hooked = settings.model_copy(
        update={
            "telegram_webhook_url": "https://bot.example/telegram",
            "telegram_webhook_secret": SecretStr("right-secret"),
            "telegram_webhook_listen": "127.0.0.1",
            "telegram_webhook_port": unused_tcp_port,
            "max_webhook_bytes": 64 * 1024,
        }
    )
    running = await start_bot(hooked)
    try:
        assert telegram.webhook is not None, "registered before the bot is ready"
        url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
        big = b"x" * (1024 * 1024)
        async with aiohttp.ClientSession() as session:
            wrong = await session.post(
                url, data=big, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert wrong.status == 403
            huge = await session.post(
                url, data=big, headers={"X-Telegram-Bot-Api-Secret-Token": "right-secret"}
            )
            assert huge.status == 413
        assert await _unread_body_refused(unused_tcp_port), "refused before the body is sent"
    finally:
        await running.shutdown()


async def _unread_body_refused(port: int) -> bool:
    """Announce a 100 MB body with a wrong secret and send none of it: the answer comes all
    the same, so the server read nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            b"POST /telegram HTTP/1.1\r\nHost: bot\r\nContent-Length: 100000000\r\n"
            b"X-Telegram-Bot-Api-Secret-Token: nope\r\n\r\n"
        )
        return (await reader.readline()).startswith(b"HTTP/1.1 403")
    finally:
        writer.close()


async def test_the_data_folder_and_everything_in_it_are_the_bots_alone(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    settings.data_dir.chmod(0o755)
    if isinstance(settings.database, Path):
        settings.database.chmod(0o644)  # as an operator might have left them
    running = await start_bot(settings)
    try:
        telegram.send_photo(KADER, b"\xff\xd8 a wound")
        await reply_to(telegram, KADER, "/datasaya", "Data Anda")
        await telegram.wait_for(lambda: bool(telegram.documents))
    finally:
        await running.shutdown()
    folders = [settings.data_dir, *(p for p in settings.data_dir.rglob("*") if p.is_dir())]
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert {p.name for p in folders} >= {"photos", "exports"}
    assert any(p.suffix == ".jpg" for p in files)
    assert {oct(p.stat().st_mode & 0o777) for p in folders} == {"0o700"}
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o600"}
