"""The building blocks of a flow: a step asks one question and handles its answer.

Steps get a `StepContext` and an `Answer`, and return an outcome; they never touch a chat library,
never sleep and never send. Anything for other people goes to the outbox through `ctx.notify`.
The flows themselves live in `handlers/`, which hands them to the engine as one `Conversations`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from bot.base.models import Channel, ChatEvent, Choice, Location, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.notify import notify
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Grant, Group, User
from content.knowledge import Knowledge

Render = Callable[[Reply], Awaitable[Reply | list[Reply]]]
"""Finishes a reply after the commit: the reply with its chart or file, or several replies (a
card of two pictures)."""


class Draft(BaseModel):
    """What a flow has gathered so far, kept with the session (as JSON) between messages. Each
    flow declares its own (`Flow.draft`); a stored draft that no longer fits it (a field renamed
    since) starts the flow over politely."""

    model_config = ConfigDict(extra="forbid")

    def answered(self, name: str) -> bool:
        """Whether `name` was given (even as None), as opposed to never asked."""
        return name in self.model_fields_set

    def forget(self, name: str) -> None:
        """Back to never asked. (Only what was set is stored: assign, never change a list or
        dict of the draft in place.)"""
        setattr(self, name, type(self).model_fields[name].get_default(call_default_factory=True))
        self.model_fields_set.discard(name)


class NoDraft(Draft):
    """For flows that keep nothing between messages."""


D = TypeVar("D", bound=Draft)


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
    reading: Callable[[], AbstractAsyncContextManager[UnitOfWork]]
    """Read-only transactions (`Database.reading`), for a render that reads much after the
    commit (an officer's area) while nobody waits for it."""
    draft: Draft = field(default_factory=NoDraft)
    after_commit: list[Callable[[Database], Awaitable[None]]] = field(default_factory=list)
    """Work for after this turn's transaction commits (deleting files, wiping the log)."""
    renders: dict[int, Render] = field(default_factory=dict)
    """Replies finished after the commit (`rendered_after_commit`), by identity."""

    def t(self, key: str, **params: object) -> str:
        return self.texts.get(self.language, key, **params)

    def draft_as(self, kind: type[D]) -> D:
        """The current flow's draft, as the type the flow declares."""
        if not isinstance(self.draft, kind):
            raise TypeError(f"the draft is a {type(self.draft).__name__}, not a {kind.__name__}")
        return self.draft

    def rendered_after_commit(self, reply: Reply, render: Render) -> Reply:
        """`reply` as it goes out once this turn's transaction is in: `render` adds what takes
        time (a chart, a workbook, an export, a card's pictures) from data already read, so no
        other person waits on the write lock meanwhile; it may turn one reply into several. If
        the bot stops before it is sent, `reply` as it is now is what goes out after the
        restart."""
        self.renders[id(reply)] = render
        return reply

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
            language=self.language,
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
    def timezone(self) -> str:
        """The person's time zone: their group's, else `POSUKK_DEFAULT_TIMEZONE`."""
        return self.group.timezone if self.group else self.settings.default_timezone

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
    draft: Draft | Mapping[str, Any] | None = None
    """The flow's own draft type, or (resuming after an SOS) its stored form."""
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
    draft: type[Draft] = NoDraft
    takes_voice: bool = False
    """Whether its steps get voice notes; elsewhere a voice note is answered as unreadable."""


MENU_FLOW = "menu"
REGISTRATION_FLOW = "registration"
CONSENT_FLOW = "consent"
FIRST_AID_FLOW = "first_aid"
SOS_FLOW = "sos"
ERASE_FLOW = "erase"
LINK_FLOW = "link"
"""The flows the engine itself starts or lets through; names are stored in sessions."""


@dataclass
class ChatTurn:
    """Something that happened in a group chat, with who did it; there is no conversation."""

    uow: UnitOfWork
    texts: Texts
    event: ChatEvent
    now: dt.datetime
    language: str
    user: User | None
    grants: Sequence[Grant]

    def reply(self, key: str, **params: object) -> list[Reply]:
        return [Reply(key=key, text=self.texts.get(self.language, key, **params))]

    @property
    def actor(self) -> str:
        if self.user is not None:
            return f"user:{self.user.id}"
        return f"{self.event.channel}:{self.event.user_ref or 'unknown'}"


CommandRun = Callable[[StepContext, str], Awaitable[Outcome]]
StandingHandler = Callable[[StepContext, str], Awaitable[Reply | Outcome]]
"""A button in a message the bot sent on its own: a reply (the current question is asked
again), or an outcome that starts a flow of its own."""


@dataclass(frozen=True)
class Conversations:
    """Everything the engine needs from the flows. `handlers.CONVERSATIONS` is the one there is:
    the engine imports no flow, so the flows can use everything below them."""

    flows: Mapping[str, Flow]
    run_command: Callable[[StepContext, str, str], Awaitable[Outcome]]
    """A command of `bot.core.commands` by name, with its argument, if this person may; the
    engine runs `start`, `batal`, `menu`, `sos` and `tautkan` itself."""
    start: CommandRun
    """`/start [CODE]`: registration, or joining a group by its code."""
    standing: Callable[[str], StandingHandler | None]
    on_chat_event: Callable[[ChatTurn, tuple[str, str] | None], Awaitable[list[Reply]]]
    newcomer_first_aid: Callable[[StepContext, str], Awaitable[Outcome | None]]
    """First aid for someone not registered, when the message is plainly an injury."""
    newcomer_code: Callable[[StepContext, str], Awaitable[Outcome | None]]
    """Registration with a group's code, when a newcomer's first message carries one
    ("DAFTAR BTG7K2" from a WhatsApp join link)."""
    short_answer: Callable[[StepContext, str], list[Reply]]
    """The first-aid answer without buttons, in the middle of another question."""
    emergency_card: Callable[[StepContext], Reply]
    start_sos: Callable[[dict[str, Any] | None], Outcome]
    """An SOS, with the interrupted flow (flow, step, draft) to resume after it."""
    start_linking: Callable[[StepContext, str], Awaitable[Outcome | list[Reply]]]
