"""The conversation engine: one inbound in, replies out, everything committed in one transaction."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.base.clock import utc_now
from bot.base.models import (
    Channel,
    ChatEvent,
    ChatEventKind,
    Inbound,
    Reply,
    Unreadable,
    Unsent,
)
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core import commands
from bot.core.choices import match_offered
from bot.core.consent import consent_version
from bot.core.conversation import (
    CONSENT_FLOW,
    ERASE_FLOW,
    FIRST_AID_FLOW,
    LINK_FLOW,
    MENU_FLOW,
    REGISTRATION_FLOW,
    SOS_FLOW,
    Answer,
    ChatTurn,
    Conversations,
    Draft,
    Finish,
    Goto,
    NoDraft,
    Outcome,
    Retry,
    StandingHandler,
    StartFlow,
    StepContext,
)
from bot.core.flood import FloodGuard, SharedFloodGuard, Verdict
from bot.core.inbox import settle
from bot.core.locks import KeyedLocks
from bot.core.notify import queue_unsent
from bot.core.pushed import Pushed, pushed_choice
from bot.core.receipts import Receipt, take_receipt
from bot.domain.access import main_role
from bot.storage.database import Database, UnitOfWork
from bot.storage.records import Session
from bot.storage.sql import Backend
from content.knowledge import Knowledge

log = logging.getLogger(__name__)

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

STRANGER_FLOWS = frozenset({REGISTRATION_FLOW, LINK_FLOW, FIRST_AID_FLOW})
"""The only conversations someone not registered can be in: first aid needs no registration."""
WITHOUT_CONSENT_FLOWS = frozenset({ERASE_FLOW, SOS_FLOW})
"""What someone who has not agreed to the current consent text may still finish (and the
commands the table marks `without_consent` they may still type): emergencies, and their rights
over the data already kept."""


@dataclass(frozen=True)
class StaffMenu:
    """The platform command menu of a kader, officer or admin, in their language."""

    platform_id: str
    language: str
    menu: list[tuple[str, str]]


@dataclass
class _Turn:
    ctx: StepContext
    session: Session | None
    stale: bool = False
    """The stored draft no longer fits its flow: the flow starts over."""
    spoke_at: dt.datetime | None = None
    """When the conversation last spoke, if later than now: just after a pushed message it
    answered, or as the stored session says (this time never goes back)."""


def _always_answered(inbound: Inbound) -> bool:
    """SOS and a shared location get through even a flood: they may be an emergency."""
    if inbound.location is not None:
        return True
    command = commands.parse(inbound.text) if inbound.text else None
    return command is not None and command[0] == "sos"


class Engine:
    def __init__(
        self,
        database: Database,
        texts: Texts,
        settings: Settings,
        knowledge: Knowledge,
        conversations: Conversations,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.database = database
        self.texts = texts
        self.knowledge = knowledge
        self.settings = settings
        self.clock = clock
        self.conversations = conversations
        self.flows = conversations.flows
        self.consent_version = consent_version(texts, settings)
        self._locks = KeyedLocks()
        pause = dt.timedelta(seconds=settings.inbound_pause_seconds)
        self._flood: FloodGuard | SharedFloodGuard = (
            SharedFloodGuard(database, settings.inbound_per_minute, pause, SOS_FLOW)
            if database.backend is Backend.POSTGRESQL
            else FloodGuard(settings.inbound_per_minute, pause)
        )
        """Several processes may share PostgreSQL: they count each person's messages together
        there. SQLite serves one process, which counts in memory."""

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """Answer one inbound; a repeated message id, or a flood from one sender, gets no answer
        and changes nothing."""
        sender = (inbound.channel, inbound.user_ref)
        verdict = await self._flood_verdict(sender)
        if verdict is not Verdict.ANSWER and not _always_answered(inbound):
            log.warning(
                "too many messages from one %s sender: %s (%d senders tracked)",
                inbound.channel,
                verdict.value,
                await self._senders_tracked(),
            )
            if verdict is Verdict.IGNORE:
                return []
            text = self.texts.get(self.settings.default_language, "common.slow_down")
            return [Reply(key="common.slow_down", text=text)]
        async with self._locks.hold(sender):
            async with self.database.unit_of_work() as uow:
                await uow.turns.hold(f"{inbound.channel.value}:{inbound.user_ref}")
                now = self.clock()
                if not await uow.inbound.first_time(
                    inbound.channel, inbound.message_id, inbound.user_ref, now
                ):
                    log.info("dropping repeated inbound %s/%s", inbound.channel, inbound.message_id)
                    await settle(uow)
                    return []
                turn = await self._load(uow, inbound, now)
                replies = await self._route(turn, inbound)
                await self._save(turn)
                await settle(uow, Unsent.answering(inbound, replies))
            # SOS first: until its alert is queued, nothing the person sends is taken for a flood.
            if isinstance(self._flood, FloodGuard):  # the shared one reads the stored session
                self._flood.excuse(
                    sender, turn.session is not None and turn.session.flow == SOS_FLOW
                )
            for work in turn.ctx.after_commit:
                await work(self.database)
            return [done for reply in replies for done in await self._rendered(turn.ctx, reply)]

    async def _flood_verdict(self, sender: tuple[Channel, str]) -> Verdict:
        if isinstance(self._flood, SharedFloodGuard):
            return await self._flood.check(sender, self.clock())
        return self._flood.check(sender, self.clock())

    async def _senders_tracked(self) -> int:
        if isinstance(self._flood, SharedFloodGuard):
            return await self._flood.tracked()
        return self._flood.tracked()

    async def _rendered(self, ctx: StepContext, reply: Reply) -> list[Reply]:
        """A reply finished after the commit (one or several); as it was if that fails (it is
        logged)."""
        render = ctx.renders.get(id(reply))
        if render is None:
            return [reply]
        try:
            rendered = await render(reply)
        except Exception as error:
            log.error("could not finish the reply %s: %s", reply.key, type(error).__name__)
            return [reply]
        return rendered if isinstance(rendered, list) else [rendered]

    async def handle_chat_event(self, event: ChatEvent) -> list[Reply]:
        """Answer something that happened in a group chat (see `handlers.group_chats`)."""
        command = commands.group_chat_command(_CONTROL_CHARS.sub("", event.text).strip())
        if event.kind is ChatEventKind.COMMAND and command is None:
            return []
        async with self.database.unit_of_work() as uow:
            await settle(uow)
            user = (
                await uow.users.by_platform(event.channel, event.user_ref)
                if event.user_ref
                else None
            )
            turn = ChatTurn(
                uow=uow,
                texts=self.texts,
                event=event,
                now=self.clock(),
                language=user.language if user else self.settings.default_language,
                user=user,
                grants=await uow.roles.active(user.id) if user else [],
            )
            return await self.conversations.on_chat_event(turn, command)

    async def staff_menus(self, channel: Channel) -> list[StaffMenu]:
        """The command menus of everyone on `channel` whose role has more commands than a
        worker's (everyone else has the platform's default menu, a worker's)."""
        async with self.database.unit_of_work() as uow:
            menus = []
            for user in await uow.users.staff(channel):
                role = main_role(await uow.roles.active(user.id))
                menu = commands.platform_menu(role)
                menus.append(StaffMenu(user.platform_id, user.language, menu))
            return menus

    async def take_receipt(self, receipt: Receipt) -> bool:
        """A platform's word on a message the bot sent; whether it was one of the outbox."""
        return await take_receipt(self.database, receipt, self.clock())

    async def queue_replies(self, unsent: Unsent, start: int) -> int:
        """Hand replies the platform refused for now (rate limit, network), from number `start`
        on, to the outbox, urgent, so they arrive a little late rather than never; how many."""
        async with self.database.unit_of_work() as uow:
            queued = await queue_unsent(uow, unsent, self.clock(), start)
        if not queued:
            log.warning("a reply to an unregistered person could not be sent; dropping it")
        return queued

    async def _load(self, uow: UnitOfWork, inbound: Inbound, now: dt.datetime) -> _Turn:
        user = await uow.users.by_platform(inbound.channel, inbound.user_ref)
        if user is not None and (user.channel, user.platform_id) != (
            inbound.channel,
            inbound.user_ref,
        ):  # a linked identity: messages follow the person to the app they use now
            await uow.identities.prefer(user.id, inbound.channel, inbound.user_ref)
            user = await uow.users.get(user.id)
        session = await uow.sessions.load(inbound.channel, inbound.user_ref)
        grants = await uow.roles.active(user.id) if user else []
        group_id = await uow.memberships.active_group_id(user.id) if user else None
        group = await uow.groups.get(group_id) if group_id is not None else None
        language = (
            user.language
            if user
            else session.language
            if session
            else self.settings.default_language
        )
        ctx = StepContext(
            uow=uow,
            texts=self.texts,
            knowledge=self.knowledge,
            now=now,
            language=language,
            channel_user=(inbound.channel, inbound.user_ref),
            user=user,
            grants=grants,
            group=group,
            settings=self.settings,
            reading=self.database.reading,
        )
        turn = _Turn(ctx, session, spoke_at=session.updated_at if session else None)
        if session is not None:
            try:
                ctx.draft = self.flows[session.flow].draft.model_validate(session.draft)
            except (KeyError, ValidationError):
                turn.stale = True  # stored by an older version of the flow
        return turn

    async def _route(self, turn: _Turn, inbound: Inbound) -> list[Reply]:
        ctx = turn.ctx
        notes: list[Reply] = []
        text = _CONTROL_CHARS.sub("", inbound.text).strip() if inbound.text is not None else None
        pushed = await self._pushed(turn, text) if text else None
        if turn.session and (turn.stale or self._expired(turn.session, ctx.now)):
            stale_flow = turn.session.flow
            turn.session = None
            ctx.draft = NoDraft()
            if stale_flow != MENU_FLOW:
                notes.append(ctx.reply("session.restarted" if turn.stale else "session.expired"))
            standing = inbound.choice and await self._standing_offer(ctx, inbound.choice)
            if (inbound.choice is not None and not standing) or (
                (text or "").isdigit() and pushed is None
            ):
                # A tap or a number answered the old question: start afresh instead of guessing.
                fresh = MENU_FLOW if ctx.user else REGISTRATION_FLOW
                return notes + await self._start_flow(turn, fresh)
        command = commands.parse(text) if text else None
        if self._consent_outdated(turn, command):
            # As for strangers: first aid still comes first, and the question comes back.
            urgent = self.conversations.short_answer(ctx, text) if text else []
            if urgent or turn.session is None or turn.session.flow != CONSENT_FLOW:
                return notes + urgent + await self._ask_consent(turn)
        if command is not None:
            return notes + await self._command(turn, *command)
        if ctx.user is None:
            if turn.session is None or turn.session.flow not in STRANGER_FLOWS:
                # A group's code from a join link registers into it; otherwise help first: an
                # injury typed before registering gets first aid, registration is offered after.
                joining = await self.conversations.newcomer_code(ctx, text) if text else None
                helped = joining or (
                    await self.conversations.newcomer_first_aid(ctx, text) if text else None
                )
                if helped is not None:
                    return notes + await self._apply(turn, helped)
                return notes + await self._start_flow(turn, REGISTRATION_FLOW)
            if turn.session.flow != FIRST_AID_FLOW:
                # Mid-registration an injury is never a name or a phone number: answer it,
                # then ask the registration question again.
                urgent = self.conversations.short_answer(ctx, text) if text else []
                if urgent:
                    return [*notes, *urgent, await self._ask(turn)]
        if turn.session is None:
            turn.session = self._new_session(
                REGISTRATION_FLOW if ctx.user is None else MENU_FLOW, ctx
            )
        offered = turn.session.offered
        if inbound.unreadable is not None or (
            inbound.voice_ref is not None and not self.flows[turn.session.flow].takes_voice
        ):
            unreadable = inbound.unreadable or Unreadable.VOICE
            return [*notes, ctx.reply(f"unreadable.{unreadable}"), await self._ask(turn)]
        if inbound.choice is not None:
            if inbound.choice not in {option["token"] for option in offered}:
                standing = await self._standing_offer(ctx, inbound.choice)
                if standing is not None:
                    return notes + await self._take_standing(turn, standing, inbound.choice)
                log.warning("rejecting a choice token that was not offered")
                return [*notes, ctx.reply("common.choice_not_offered"), await self._ask(turn)]
            answer = Answer(choice=inbound.choice)
        elif pushed is not None and (standing := self.conversations.standing(pushed.choice.token)):
            turn.spoke_at = max(turn.spoke_at or ctx.now, pushed.answered_until)
            return notes + await self._take_standing(turn, standing, pushed.choice.token)
        else:
            matched = match_offered(text, offered) if text else None
            answer = Answer(
                text=text or None,
                choice=matched,
                location=inbound.location,
                contact_phone=inbound.contact_phone,
                photo_ref=inbound.photo_ref,
                voice_ref=inbound.voice_ref,
            )
        flow = self.flows[turn.session.flow]
        outcome = await flow.steps[turn.session.step].handle(ctx, answer)
        return notes + await self._apply(turn, outcome)

    def _consent_outdated(self, turn: _Turn, command: tuple[str, str] | None) -> bool:
        """Whether a registered person has yet to agree to a changed consent text."""
        user = turn.ctx.user
        if user is None or user.consent_version == self.consent_version:
            return False
        if command is not None:
            known = commands.COMMANDS.get(command[0])
            return known is None or not known.without_consent
        return turn.session is None or turn.session.flow not in WITHOUT_CONSENT_FLOWS

    async def _ask_consent(self, turn: _Turn) -> list[Reply]:
        if turn.session is not None and turn.session.flow == CONSENT_FLOW:
            return [await self._ask(turn)]
        return await self._start_flow(turn, CONSENT_FLOW)

    async def _pushed(self, turn: _Turn, text: str) -> Pushed | None:
        """The choice in the latest message the bot sent on its own that `text` answers, when
        that message came after the conversation last spoke."""
        user = turn.ctx.user
        if user is None or commands.parse(text) is not None:
            return None
        since = turn.session.updated_at if turn.session else None
        return await pushed_choice(turn.ctx.uow, user.id, since, text, turn.ctx.now)

    async def _take_standing(
        self, turn: _Turn, handler: StandingHandler, token: str
    ) -> list[Reply]:
        """A standing offer taken: its answer and the current question again, or its flow."""
        result = await handler(turn.ctx, token)
        if isinstance(result, Reply):
            return [result, await self._ask(turn)]
        return await self._apply(turn, result)

    async def _standing_offer(self, ctx: StepContext, token: str) -> StandingHandler | None:
        """The handler of a button from a message the bot sent on its own, if still valid."""
        handler = self.conversations.standing(token)
        if handler is None or ctx.user is None:
            return None
        return handler if await ctx.uow.offers.valid(ctx.user.id, token, ctx.now) else None

    async def _command(self, turn: _Turn, name: str, args: str) -> list[Reply]:
        ctx = turn.ctx
        command = commands.COMMANDS.get(name)
        if ctx.user is None and (command is None or not command.before_registration):
            return await self._registration_first(turn)
        if name == "start":
            return await self._apply(turn, await self.conversations.start(ctx, args))
        if name == "batal":
            ctx.draft = NoDraft()
            if ctx.user is None:
                turn.session = None
                return [ctx.reply("common.cancelled_unregistered")]
            return await self._apply(turn, Finish([ctx.reply("common.cancelled")]))
        if name == "sos":
            return await self._sos(turn)
        if name == "tautkan":
            started = await self.conversations.start_linking(ctx, args)
            if isinstance(started, list):
                return started + ([await self._ask(turn)] if turn.session else [])
            return await self._apply(turn, started)
        if name == "menu":
            return await self._apply(turn, Finish())
        return await self._apply(turn, await self.conversations.run_command(ctx, name, args))

    async def _sos(self, turn: _Turn) -> list[Reply]:
        """SOS works from anywhere; the interrupted flow resumes after it."""
        ctx = turn.ctx
        if ctx.user is None:
            card = self.conversations.emergency_card(ctx)
            if turn.session is None:
                return [card]
            return [card, await self._ask(turn)]
        session = turn.session
        interrupted = None
        if session is not None and session.flow not in (MENU_FLOW, SOS_FLOW):
            interrupted = {
                "flow": session.flow,
                "step": session.step,
                "draft": ctx.draft.model_dump(mode="json", exclude_unset=True),
            }
        return await self._apply(turn, self.conversations.start_sos(interrupted))

    async def _registration_first(self, turn: _Turn) -> list[Reply]:
        """Someone not registered typed a command: keep their registration answers, ask again."""
        if turn.session is None or turn.session.flow != REGISTRATION_FLOW:
            return await self._start_flow(turn, REGISTRATION_FLOW)
        return [turn.ctx.reply("registration.finish_first"), await self._ask(turn)]

    async def _apply(self, turn: _Turn, outcome: Outcome) -> list[Reply]:
        ctx = turn.ctx
        match outcome:
            case Goto(step=step, replies=replies):
                assert turn.session is not None
                turn.session.step = step
                return [*replies, await self._ask(turn)]
            case Retry(reply=reply):
                return [reply, await self._ask(turn)]
            case Finish(replies=replies):
                ctx.draft = NoDraft()
                if ctx.user is None:
                    turn.session = None
                    return list(replies)
                return [*replies, *await self._start_flow(turn, MENU_FLOW)]
            case StartFlow(flow=flow, draft=draft, replies=replies, step=step):
                return [*replies, *await self._start_flow(turn, flow, draft, step)]
        raise AssertionError(f"unknown outcome {outcome!r}")

    async def _start_flow(
        self,
        turn: _Turn,
        flow: str,
        draft: Draft | Mapping[str, Any] | None = None,
        step: str | None = None,
    ) -> list[Reply]:
        kind = self.flows[flow].draft
        if isinstance(draft, Draft) and not isinstance(draft, kind):
            raise TypeError(f"flow {flow} keeps a {kind.__name__}, not a {type(draft).__name__}")
        try:
            turn.ctx.draft = draft if isinstance(draft, Draft) else kind.model_validate(draft or {})
        except ValidationError:  # resuming after an SOS what an older version stored
            fresh = MENU_FLOW if turn.ctx.user else REGISTRATION_FLOW
            return [turn.ctx.reply("session.restarted"), *await self._start_flow(turn, fresh)]
        turn.session = self._new_session(flow, turn.ctx, step)
        return [await self._ask(turn)]

    def _new_session(self, flow: str, ctx: StepContext, step: str | None = None) -> Session:
        return Session(
            flow=flow,
            step=step or self.flows[flow].first,
            language=ctx.language,
            draft={},
            offered=[],
            updated_at=ctx.now,
        )

    async def _ask(self, turn: _Turn) -> Reply:
        """Ask the current step's question and remember which choices were offered."""
        assert turn.session is not None
        step = self.flows[turn.session.flow].steps[turn.session.step]
        prompt = await step.ask(turn.ctx)
        turn.session.offered = [{"token": c.token, "label": c.label} for c in prompt.choices]
        return prompt

    def _expired(self, session: Session, now: dt.datetime) -> bool:
        return now - session.updated_at > dt.timedelta(hours=self.settings.session_ttl_hours)

    async def _save(self, turn: _Turn) -> None:
        ctx = turn.ctx
        channel, platform_id = ctx.channel_user
        if turn.session is None:
            await ctx.uow.sessions.delete(channel, platform_id)
        else:
            turn.session.draft = ctx.draft.model_dump(mode="json", exclude_unset=True)
            turn.session.language = ctx.language
            turn.session.updated_at = max(ctx.now, turn.spoke_at or ctx.now)
            await ctx.uow.sessions.save(channel, platform_id, turn.session)
        if ctx.user is not None:
            await ctx.uow.users.touch(ctx.user.id, ctx.now)
            await ctx.uow.recaps.note_day(ctx.user.id, ctx.now)
