"""Logging in to the web dashboard without a password: `/web` in the chat gives a link that
works once, for `LINK_TTL`; opening it shows a "Masuk" button, and pressing it starts a session
of `SESSION_TTL`.

**Choice**: opening the link alone does not log in. Chat apps fetch the links in messages to
show a preview (Telegram's servers do, for messages from bots), and mail scanners do the same;
a link used up by the first GET would be gone before the person taps it. The button sends a
POST, which no preview fetcher does.

Tokens are random (`secrets`, 256 bits) and only their SHA-256 is stored, so a copy of the
database logs nobody in. Every link given and every login is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from bot.storage.database import UnitOfWork

LINK_TTL = dt.timedelta(minutes=15)
SESSION_TTL = dt.timedelta(hours=12)
LOGIN_PATH = "/masuk/"
"""Where a link points, under the dashboard's base address: `/masuk/<token>`."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def login_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{LOGIN_PATH}{token}"


async def issue_link(uow: UnitOfWork, user_id: int, now: dt.datetime, base_url: str) -> str:
    """A new one-time login link for `user_id` (their older unused ones stop working)."""
    token = new_token()
    await uow.web_logins.add_link(user_id, token_hash(token), now, now + LINK_TTL)
    await uow.audit.record(
        actor=f"user:{user_id}", action="web-link", subject=f"user:{user_id}", now=now
    )
    return login_url(base_url, token)


@dataclass(frozen=True)
class Login:
    user_id: int
    session: str
    """The session token for the cookie; only its hash is stored."""
    expires_at: dt.datetime


async def link_valid(uow: UnitOfWork, link_token: str, now: dt.datetime) -> bool:
    return await uow.web_logins.link_valid(token_hash(link_token), now)


async def log_in(uow: UnitOfWork, link_token: str, now: dt.datetime) -> Login | None:
    """Use a link: a new session for its person, or None if it is unknown, used or expired."""
    user_id = await uow.web_logins.use_link(token_hash(link_token), now)
    if user_id is None:
        return None
    session = new_token()
    expires_at = now + SESSION_TTL
    await uow.web_logins.add_session(user_id, token_hash(session), now, expires_at)
    await uow.audit.record(
        actor=f"user:{user_id}", action="web-login", subject=f"user:{user_id}", now=now
    )
    return Login(user_id, session, expires_at)


async def session_user(uow: UnitOfWork, session: str, now: dt.datetime) -> int | None:
    return await uow.web_logins.session_user(token_hash(session), now)


async def log_out(uow: UnitOfWork, session: str) -> None:
    await uow.web_logins.end_session(token_hash(session))
