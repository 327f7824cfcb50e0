"""What both webhook servers share: a body read with a cap, and uvicorn inside the bot's loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.requests import Request
from starlette.types import ASGIApp


class TooLarge(Exception):
    """The body is over the cap: refused before it is all read."""


async def capped_body(request: Request, limit: int) -> bytes:
    """The request's body, reading no more than `limit` bytes of it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the bot's own event loop: `posukk run` handles SIGTERM and Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class CannotListen(Exception):
    """The port is taken, or the address cannot be bound."""


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, host: str, port: int, name: str) -> AsyncIterator[None]:
    """Serve `app` until the block ends, then finish the requests in hand."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",
        log_level="warning",
        log_config=None,  # through the root logger, whose handlers hide secrets and phones
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(), name=name)
    while not server.started:
        done, _ = await asyncio.wait({task}, timeout=0.05)
        if done:
            raise CannotListen(f"{name} cannot listen on port {port}")
    try:
        yield
    finally:
        server.should_exit = True
        await task
