"""`posukk run` with POSUKK_WEB_PORT: the officer asks `/web` on Telegram and the link opens
the dashboard served by the same process."""

from __future__ import annotations

import re
import socket

import httpx

from bot.base.settings import Settings
from tests.channels.conftest import OFFICER, start_bot
from tests.fakes.telegram_api import FakeTelegram


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_bot_serves_the_dashboard_its_links_open(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    running = await start_bot(settings.model_copy(update={"web_port": port, "web_base_url": base}))
    try:
        telegram.send_text(OFFICER, "/web")
        await telegram.wait_for(lambda: any("/masuk/" in t for t in telegram.texts_to(OFFICER.id)))
        found = re.search(r"http://\S+/masuk/\S+", "\n".join(telegram.texts_to(OFFICER.id)))
        assert found is not None
        async with httpx.AsyncClient(base_url=base) as browser:
            assert (await browser.get(found.group(0))).status_code == 200
            assert (await browser.post(found.group(0))).status_code == 303
            summary = await browser.get("/")
            assert summary.status_code == 200
            assert OFFICER.first_name in summary.text
    finally:
        await running.shutdown()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # the dashboard stopped with the bot
