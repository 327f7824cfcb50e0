"""Telegram updates into the inbox: long polling that confirms an update only once it is
stored, or a webhook that answers 200 only once it is stored.

python-telegram-bot's updater confirms a batch when it fetches the next one, before the bot has
handled the first; its webhook answers before handling. Here both keep the update in the
database first (`bot.core.inbox`). Updates are kept as raw JSON, not parsed: one the library cannot
read is stored and skipped, never fetched again and again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram.error import TelegramError

from bot.base.models import Channel
from bot.channels.telegram_http import AiohttpRequest, request_data
from bot.channels.webhook import TooLarge, capped_body
from bot.core.inbox import Inbox
from bot.storage.inbox import Received

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Waits after a failed poll (network down, Telegram busy), growing while failures go on."""
_GROUP_CHATS = ("group", "supergroup", "channel")


def sender_of(update: Mapping[str, Any]) -> str:
    """Whose updates must be handled one after another: a person (by user id) in private chat,
    the chat itself in a group. Never raises: an odd update still gets stored."""
    for value in update.values():
        if not isinstance(value, Mapping):
            continue
        chat = value.get("chat")
        if chat is None and isinstance(value.get("message"), Mapping):
            chat = value["message"].get("chat")  # a button press
        person = value.get("from") or value.get("user")
        if isinstance(chat, Mapping) and chat.get("type") in _GROUP_CHATS:
            return f"chat:{chat.get('id')}"
        if isinstance(person, Mapping):
            return str(person.get("id"))
        if isinstance(chat, Mapping):
            return f"chat:{chat.get('id')}"
    return "unknown"


def received(update: Mapping[str, Any]) -> Received:
    raw = json.dumps(update, separators=(",", ":"))
    return Received(update_ref=str(update.get("update_id", raw)), sender=sender_of(update), raw=raw)


class TelegramPoller:
    """Long polling that confirms updates only after they are stored: the offset of the next
    `getUpdates` is past a batch only once the inbox holds it."""

    def __init__(
        self,
        api_url: str,
        inbox: Inbox,
        allowed_updates: Sequence[str],
        timeout: int,
    ) -> None:
        self.url = f"{api_url}/getUpdates"
        self.inbox = inbox
        self.allowed_updates = list(allowed_updates)
        self.timeout = timeout
        self.offset: int | None = None
        self._http = AiohttpRequest(
            connection_pool_size=1,
            read_timeout=timeout + 10.0,
            write_timeout=10.0,
            connect_timeout=10.0,
            pool_timeout=10.0,
        )

    async def run(self) -> None:
        """Fetch, store, repeat, until cancelled."""
        await self._http.initialize()
        failures = 0
        while True:
            try:
                updates = await self.fetch()
            except (TelegramError, ValueError) as error:
                wait = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("Telegram getUpdates failed (%s); again in %s s", _reason(error), wait)
                await asyncio.sleep(wait)
                continue
            failures = 0
            await self.keep(updates)

    async def fetch(self) -> list[dict[str, Any]]:
        """The updates after the stored ones; asking for them confirms those stored."""
        params: dict[str, Any] = {"timeout": self.timeout, "allowed_updates": self.allowed_updates}
        if self.offset is not None:
            params["offset"] = self.offset
        result = await self._http.post(self.url, request_data(params))
        if not isinstance(result, list):
            raise ValueError("getUpdates answered no list")
        return [update for update in result if isinstance(update, dict)]

    async def keep(self, updates: Sequence[Mapping[str, Any]]) -> None:
        await self.inbox.receive(Channel.TELEGRAM, [received(update) for update in updates])
        ids = [u["update_id"] for u in updates if isinstance(u.get("update_id"), int)]
        if ids:
            self.offset = max(ids) + 1

    async def confirm(self) -> None:
        """On a clean stop: tell Telegram the stored updates arrived, so a restart does not
        fetch them again."""
        if self.offset is None:
            return
        try:
            params = {"offset": self.offset, "timeout": 0, "limit": 1}
            await self._http.initialize()
            await self._http.post(self.url, request_data(params))
        except TelegramError as error:
            log.info("could not confirm the last updates (%s); they come again", _reason(error))

    async def close(self) -> None:
        await self._http.shutdown()


def _reason(error: Exception) -> str:
    """An error's kind without its text, which may hold the URL, and so the token."""
    return type(error).__name__


def webhook_app(path: str, secret: str, inbox: Inbox, max_bytes: int) -> Starlette:
    """Telegram's webhook: the secret header is checked before the body is read, the body is
    read up to `max_bytes`, and 200 goes back only once the update is stored."""

    async def update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        try:
            body = await capped_body(request, max_bytes)
        except TooLarge:
            log.warning("refused a Telegram webhook body over %d bytes", max_bytes)
            return Response(status_code=413)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            log.warning("refused a Telegram webhook body that is not a JSON object")
            return Response(status_code=400)
        await inbox.receive(Channel.TELEGRAM, [received(parsed)])
        return Response(status_code=200)

    return Starlette(routes=[Route(f"/{path}", update, methods=["POST"])])
