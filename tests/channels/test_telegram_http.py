"""The bot's Telegram HTTP client (aiohttp under python-telegram-bot) against the fake Bot API:
timeouts, failed connections, uploads, closing, and Telegram's refusals as the delivery job
reads them."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.base.models import Reply
from bot.channels.telegram import TelegramRenderer, TelegramSender, telegram_application
from bot.channels.telegram_http import AiohttpRequest, request_data
from bot.core.outbound import (
    DeliveryError,
    Moved,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    Unreachable,
)
from tests.channels.conftest import KADER
from tests.fakes.telegram_api import TOKEN, FakeGroupChat, FakeTelegram, Fault


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=telegram.base_url, request=AiohttpRequest()) as bot:
        yield bot


def closed_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_an_answer_slower_than_the_read_timeout_is_timed_out(
    telegram: FakeTelegram,
) -> None:
    telegram.delays["sendMessage"] = 1.0
    request = AiohttpRequest(read_timeout=0.2)
    async with Bot(TOKEN, base_url=telegram.base_url, request=request) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(KADER.id, "halo")
        sent = await bot.send_message(KADER.id, "halo", read_timeout=3.0)  # a call's own timeout
    assert sent.text == "halo"


async def test_a_refused_connection_is_a_network_error_without_the_token() -> None:
    request = AiohttpRequest(connect_timeout=2.0)
    await request.initialize()
    try:
        url = f"http://127.0.0.1:{closed_port()}/bot{TOKEN}/getMe"
        with pytest.raises(NetworkError) as raised:
            await request.post(url, request_data({"limit": 1}))
    finally:
        await request.shutdown()
    assert not isinstance(raised.value, TimedOut)
    assert "ClientConnectorError" in raised.value.message
    assert TOKEN not in raised.value.message


async def test_photos_and_documents_are_uploaded_whole_with_their_names(
    telegram: FakeTelegram, bot: Bot, tmp_path: Path
) -> None:
    picture, export = tmp_path / "kartu.png", tmp_path / "laporan-2026-12.xlsx"
    picture.write_bytes(b"\x89PNG" + bytes(range(256)) * 400)
    export.write_bytes(b"PK\x03\x04" + b"\x00\xff" * 50_000)
    renderer = TelegramRenderer()
    reply = Reply(key="t", text="Kartu", photo=str(picture), document=str(export))
    await renderer.send(bot, KADER.id, reply)
    assert [content for _, content in telegram.photos] == [picture.read_bytes()]
    assert telegram.documents == [("laporan-2026-12.xlsx", export.read_bytes())]


async def test_shutdown_closes_every_connection(telegram: FakeTelegram) -> None:
    request = AiohttpRequest()
    async with Bot(TOKEN, base_url=telegram.base_url, request=request) as bot:
        await asyncio.gather(*(bot.send_message(KADER.id, f"halo {n}") for n in range(5)))
        assert telegram.open_connections() >= 1  # kept alive for the next call
    assert request.closed
    await telegram.wait_for(lambda: telegram.open_connections() == 0, within=5)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{telegram.base_url}{TOKEN}/getMe", "POST")
    await request.initialize()  # a Bot initialized again opens a new pool
    try:
        code, _ = await request.do_request(f"{telegram.base_url}{TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert code == 200


async def test_retry_after_comes_out_of_python_telegram_bot_as_before(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.faults.append(
        Fault("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    )
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(KADER.id, "halo")
    assert raised.value.retry_after == dt.timedelta(seconds=7)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3), RetryLater),
        (Fault("sendMessage", 403, "Forbidden: bot was blocked by the user"), Unreachable),
        (Fault("sendMessage", 400, "Bad Request: chat not found"), Unreachable),
        (Fault("sendMessage", 400, "Bad Request: message text is empty"), PermanentFailure),
        (Fault("sendMessage", 502, "Bad Gateway"), TemporaryFailure),
    ],
)
async def test_the_delivery_job_reads_telegrams_refusals_through_the_client(
    telegram: FakeTelegram, fault: Fault, expected: type[DeliveryError]
) -> None:
    telegram.faults.append(fault)
    application = telegram_application(TOKEN, telegram.base_url, telegram.base_file_url)
    async with application:
        sender = TelegramSender(application, TelegramRenderer())
        with pytest.raises(expected) as raised:
            await sender.send(str(KADER.id), Reply(key="t", text="halo"))
        assert await sender.send(str(KADER.id), Reply(key="t", text="halo"))  # the next goes
    if isinstance(raised.value, RetryLater):
        assert raised.value.seconds == 3.0


async def test_a_moved_group_chat_is_read_as_moved(telegram: FakeTelegram) -> None:
    old = FakeGroupChat(-4300, "Jadi supergroup")
    telegram.add_bot(old, by=KADER)
    new = telegram.migrate(old, -1004300, by=KADER)
    application = telegram_application(TOKEN, telegram.base_url, telegram.base_file_url)
    async with application:
        sender = TelegramSender(application, TelegramRenderer())
        with pytest.raises(Moved) as raised:
            await sender.send(str(old.id), Reply(key="t", text="halo"))
    assert raised.value.new_platform_id == str(new.id)


async def test_the_proxy_named_in_the_environment_carries_the_calls(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with python-telegram-bot's httpx client, HTTP(S)_PROXY is honoured and NO_PROXY
    skips it. The fake server stands in for the proxy (it serves the absolute-form requests a
    client sends a proxy); the Bot API's own address does not resolve."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{telegram.port}")
    request = AiohttpRequest()
    async with Bot(TOKEN, base_url="http://api.telegram.invalid/bot", request=request) as bot:
        sent = await bot.send_message(KADER.id, "lewat proxy")
    assert sent.text == "lewat proxy"
    monkeypatch.setenv("NO_PROXY", "api.telegram.invalid")
    with pytest.raises(NetworkError):
        async with Bot(TOKEN, base_url="http://api.telegram.invalid/bot", request=AiohttpRequest()):
            pass
