"""The demo as the issue tells it: `/as andi`, `/web` in `posukk chat`, then the printed link
opens the dashboard served by `posukk web` on the same database, once."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_link_from_the_terminal_chat_opens_the_dashboard(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "POSUKK_WEB_BASE_URL": base, "POSUKK_WEB_PORT": str(port)}
    db = str(tmp_path / "demo.sqlite3")
    chat = subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "chat", "--db", db],
        input="/as andi\n/web\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert chat.returncode == 0, chat.stderr
    found = re.search(rf"{re.escape(base)}/masuk/\S+", chat.stdout)
    assert found, chat.stdout
    with subprocess.Popen(
        [sys.executable, "-m", "bot.app.cli", "web", "--db", db],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            assert server.stderr is not None
            line = server.stderr.readline()
            assert "Dasbor web" in line, line
            with httpx.Client(base_url=base) as browser:
                assert browser.get(found.group(0)).status_code == 200
                login = browser.post(found.group(0))
                assert login.status_code == 303
                summary = browser.get("/")
                assert summary.status_code == 200
                assert "Ringkasan: Berau, Kota Bontang" in summary.text
                assert httpx.post(found.group(0)).status_code == 403
        finally:
            server.terminate()
    assert server.returncode == 0  # a clean stop on SIGTERM
