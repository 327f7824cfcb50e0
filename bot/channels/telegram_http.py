"""python-telegram-bot's HTTP requests through aiohttp instead of httpx.

python-telegram-bot talks HTTP through a `BaseRequest`: it hands over a URL and the call's
parameters, gets back the status and the body, and turns a refusal into its own exceptions
(`RetryAfter`, `Forbidden`, `BadRequest`, `ChatMigrated`, ...) itself. This one does the HTTP
with aiohttp, which costs about half the CPU of httpx per call (`python -m bench.throughput`),
and keeps the contract of the library's own `HTTPXRequest`: the same default timeouts, a failed
connection or exchange raised as `NetworkError`, a timeout as `TimedOut`.

A call without files goes as one JSON body, which the Bot API accepts and which is cheaper to
build than a form; a call with files (photos, documents) as a multipart form, python-telegram-bot
having encoded every other field as JSON text.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

__all__ = ["AiohttpRequest", "request_data"]

_JSON: Final = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A pool of at most `connection_pool_size` connections, opened by `initialize` and closed
    by `shutdown` (python-telegram-bot's `Bot` calls both).

    Timeouts, in seconds (None: wait forever), as `HTTPXRequest` takes them: `connect_timeout`
    for a new connection, `pool_timeout` for a free place in the pool, `read_timeout` for each
    part of the answer, `write_timeout` (`media_write_timeout` for uploads) for sending the
    request. aiohttp has no timeout of its own for writing, so the write timeout bounds the
    whole call together with the others: the call may take at most their sum."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    @property
    def closed(self) -> bool:
        return self._session is None or self._session.closed

    async def initialize(self) -> None:
        """Open the pool (again, after a `shutdown`)."""
        if self.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close every connection; a call after this raises RuntimeError."""
        if self._session is not None:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`: the status and the body; python-telegram-bot reads
        them."""
        uploads = request_data.multipart_data if request_data is not None else {}
        body: aiohttp.FormData | bytes | None = None
        headers: Mapping[str, str] | None = None
        if uploads:
            assert request_data is not None
            form = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, mimetype) in uploads.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        elif request_data is not None and request_data.parameters:
            body, headers = request_data.json_payload, _JSON
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if uploads else self._write_timeout
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise _network_error(error) from error

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for `url`'s server (HTTPS_PROXY, NO_PROXY, ...: as
        httpx reads them), looked up once per server. aiohttp's own `trust_env` looks it up on
        every call, reading the environment and ~/.netrc in a thread: a tenth of the CPU of a
        flat-out broadcast (py-spy)."""
        server = url[: url.find("/", url.find("//") + 2)]
        if server not in self._proxies:
            scheme, _, host = server.partition("://")
            named = getproxies()
            proxy = named.get(scheme) or named.get("all")
            bypass = proxy_bypass(host.rpartition("@")[2])
            self._proxies[server] = None if proxy is None or bypass else proxy
        return self._proxies[server]

    def _timeout(
        self,
        read: ODVInput[float],
        write: float | None,
        connect: ODVInput[float],
        pool: ODVInput[float],
    ) -> aiohttp.ClientTimeout:
        read = self._read_timeout if isinstance(read, DefaultValue) else read
        connect = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        return _client_timeout(read, write, connect, pool)


@functools.lru_cache(maxsize=64)
def _client_timeout(
    read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for python-telegram-bot's four, made once per combination (a
    `ClientTimeout` is frozen): every call of a broadcast uses the same."""
    parts = (read, write, connect, pool)
    return aiohttp.ClientTimeout(
        total=None if None in parts else sum(p for p in parts if p is not None),
        connect=None if pool is None or connect is None else pool + connect,
        sock_connect=connect,
        sock_read=read,
    )


def request_data(parameters: Mapping[str, Any]) -> RequestData:
    """A Bot API call's parameters as python-telegram-bot hands them to a `BaseRequest`, for a
    call made outside its `Bot` (long polling, which keeps updates as raw JSON)."""
    return RequestData([RequestParameter.from_input(k, v) for k, v in parameters.items()])


def _network_error(error: aiohttp.ClientError) -> NetworkError:
    """The error's kind, and for a failed connection the system's reason: never the rest of
    its text, which may hold the URL and so the bot's token."""
    reason = error.strerror if isinstance(error, aiohttp.ClientOSError) else None
    return NetworkError(f"aiohttp.{type(error).__name__}" + (f": {reason}" if reason else ""))
