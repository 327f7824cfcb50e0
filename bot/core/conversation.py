"""The building blocks of a flow: a step asks one question and handles its answer.

Steps get a `StepContext` and an `Answer`, and return an outcome; they never touch a chat library,
never sleep and never send. Anything for other people goes to the outbox through `ctx.uow.outbox`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.base.models import Channel, Choice, Location, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.notify import notify
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Grant, Group, User
from content.knowledge import Knowledge


@dataclass(frozen=True)
class Answer:
    """What the person gave: text, or a choice token already checked against what was offered."""

    text: str | None = None
    choice: str | None = None
    location: Location | None = None
    contact_phone: str | None = None
    photo_ref: str | None = None
    voice_ref: str | None = None
    """Only for flows that take voice notes (`Flow.takes_voice`)."""


@dataclass
class StepContext:
    uow: UnitOfWork
    texts: Texts
    knowledge: Knowledge
    now: dt.datetime
    language: str
    channel_user: tuple[Channel, str]
    user: User | None
    grants: list[Grant]
    group: Group | None
    settings: Settings
    draft: dict[str, Any] = field(default_factory=dict)
    after_commit: list[Callable[[Database], Awaitable[None]]] = field(default_factory=list)
    """Work for after this turn's transaction commits (deleting files, wiping the log)."""

    def t(self, key: str, **params: object) -> str:
        return self.texts.get(self.language, key, **params)

    def reply(
        self,
        key: str,
        *,
        choices: Sequence[Choice] = (),
        request: Literal["location", "contact"] | None = None,
        document: str | None = None,
        **params: object,
    ) -> Reply:
        label = self.t(f"request.{request}") if request else None
        return Reply(
            key=key,
            text=self.t(key, **params),
            choices=tuple(choices),
            request=request,
            request_label=label,
            document=document,
        )

    def choice(self, token: str, label_key: str) -> Choice:
        return Choice(token=token, label=self.t(label_key))

    async def notify(
        self,
        recipient: User,
        *,
        kind: str,
        key: str,
        dedupe_key: str,
        urgent: bool = False,
        choices: Sequence[tuple[str, str]] = (),
        choices_valid_until: dt.datetime | None = None,
        not_before: dt.datetime | None = None,
        **params: object,
    ) -> None:
        """Queue a message for someone else, in their language, in this same transaction."""
        await notify(
            self.uow,
            self.texts,
            recipient,
            kind=kind,
            key=key,
            dedupe_key=dedupe_key,
            now=self.now,
            urgent=urgent,
            choices=choices,
            choices_valid_until=choices_valid_until,
            not_before=not_before,
            params=params,
        )

    @property
    def registered_user(self) -> User:
        """The user, for steps that only run once someone has registered."""
        if self.user is None:
            raise RuntimeError("this step needs a registered user")
        return self.user


@dataclass(frozen=True)
class Goto:
    """Move to `step` of the current flow, after saying `replies`."""

    step: str
    replies: Sequence[Reply] = ()


@dataclass(frozen=True)
class Retry:
    """The answer did not fit: say why, then ask the same question again, keeping the draft."""

    reply: Reply


@dataclass(frozen=True)
class Finish:
    """The flow is over; say `replies` and go back to the main menu (if registered)."""

    replies: Sequence[Reply] = ()


@dataclass(frozen=True)
class StartFlow:
    """Leave this flow and start `flow` (at `step`, or its first) with `draft` already filled."""

    flow: str
    draft: dict[str, Any] = field(default_factory=dict)
    replies: Sequence[Reply] = ()
    step: str | None = None


Outcome = Goto | Retry | Finish | StartFlow


@dataclass(frozen=True)
class Step:
    ask: Callable[[StepContext], Awaitable[Reply]]
    handle: Callable[[StepContext, Answer], Awaitable[Outcome]]


@dataclass(frozen=True)
class Flow:
    """A named conversation. Step names are stored in sessions, so never rename one lightly."""

    name: str
    first: str
    steps: dict[str, Step]
    takes_voice: bool = False
    """Whether its steps get voice notes; elsewhere a voice note is answered as unreadable."""
