"""Six months of a Pos UKK programme for the demo, made the way real use makes it.

Members register, report injuries, kader act on the alerts, workers answer the follow-ups and a
kader broadcasts, all as messages through the engine (the same flows, alerts and outbox rows as
in real use), with a clock that walks from six months ago to now; the outbox is delivered at each
moment by the real delivery job. Only what happens away from the chat is written through the
repositories: meetings held and who came, answers to reminders, and the days people used the bot.

The demo personas start clean afterwards: no open conversation, and nothing they were offered in
the past answers their first message.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from zoneinfo import ZoneInfo

from bot.app.demo import FISHERMEN_CODE, PERSONAS, PLANTATION_CODE, persona_id
from bot.base.models import Channel, Inbound, Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.domain.quiet import QuietHours
from bot.domain.recurrence import Recurrence, Repeat
from bot.storage.activities import NewActivity
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from scheduler.broadcasts import advance_broadcasts
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from scheduler.reminders import materialise_reminders

HISTORY = dt.timedelta(days=183)
APPS = (Channel.TERMINAL, Channel.WHATSAPP)
"""The personas write in the terminal; the members, as most workers do, on WhatsApp (the
terminal chat shows no one's WhatsApp, so their messages stay out of the demo's way)."""
STEP = dt.timedelta(seconds=20)
"""Between two messages of one conversation."""
MAX_TURNS = 25
DELIVERY_PASSES = 100
REMINDERS_REPLAYED = dt.timedelta(days=3)
"""More than a reminder's reach before a meeting (the day before at 17:00)."""
"""Each pass delivers a batch per app; a moment of the history needs a few at most."""

FISHERMEN_MEMBERS = (
    "Pak Hasan", "Pak Amir", "Udin", "Pak Jufri", "Rusdi", "Pak Baco", "Ilham", "Pak Syamsul",
    "Daeng Tawang", "Arman", "Pak Lukman", "Wahyu",
)  # fmt: skip
PLANTATION_MEMBERS = (
    "Pak Yohanes", "Suparman", "Bu Sri", "Pak Dedi", "Agus", "Bu Wati", "Pak Kornelius", "Rian",
    "Pak Samsul",
)  # fmt: skip


@dataclass(frozen=True)
class PastReport:
    """One report: who (a persona or a member's name), how many days before now, their words,
    the answers the words do not give, and what followed."""

    days_ago: int
    reporter: str
    words: str
    body: str = "hand"
    place: str = "boat"
    activity: str = "line"
    actions: tuple[str, ...] = ("contacted", "treated")
    followups: tuple[str, ...] = ("better", "better")
    days_lost: int = 1
    near_miss: bool = False


REPORTS = (
    PastReport(
        170,
        "budi",
        "jari tertusuk kail waktu memancing",
        actions=("contacted", "treated", "closed"),
        followups=("better",),
    ),
    PastReport(
        160,
        "Pak Yohanes",
        "tangan tertusuk duri sawit waktu panen",
        place="field",
        activity="harvest",
        actions=("contacted", "treated", "closed"),
        followups=("better",),
    ),
    PastReport(
        140,
        "Pak Hasan",
        "tangan kena sengat ikan lepu di perahu",
        activity="net",
        actions=("contacted", "referred"),
        followups=("same", "better"),
        days_lost=3,
    ),
    PastReport(
        125,
        "Suparman",
        "mata kemasukan serpihan pelepah waktu dodos",
        body="eye",
        place="field",
        activity="harvest",
        actions=("contacted", "referred"),
        followups=("better", "better"),
    ),
    PastReport(
        110, "Udin", "kaki tergores karang waktu menarik jaring", body="leg", activity="net"
    ),
    PastReport(
        96,
        "Pak Dedi",
        "kaki terkilir waktu angkat tandan di TPH",
        body="leg",
        place="collection",
        activity="carry",
        followups=("same", "better"),
        days_lost=4,
    ),
    PastReport(
        80,
        "Pak Amir",
        "disengat ubur-ubur waktu menyelam",
        body="arm",
        activity="dive",
        actions=("contacted", "treated", "closed"),
        followups=("better",),
    ),
    PastReport(
        62,
        "Agus",
        "lengan tergores egrek waktu panen",
        body="arm",
        place="field",
        activity="harvest",
    ),
    PastReport(
        45,
        "Pak Jufri",
        "tangan melepuh kena knalpot mesin perahu",
        activity="engine",
        followups=("same", "better"),
        days_lost=2,
    ),
    PastReport(
        30,
        "Pak Kornelius",
        "pelepah jatuh hampir kena kepala pemanen",
        place="field",
        activity="harvest",
        near_miss=True,
    ),
    PastReport(
        20,
        "Rusdi",
        "terpeleset di dermaga, pergelangan kaki bengkak",
        body="leg",
        place="dock",
        activity="carry",
        actions=("contacted", "referred"),
    ),
    PastReport(
        12,
        "Bu Sri",
        "jari tertusuk duri sawit waktu mengutip brondolan",
        place="field",
        activity="harvest",
    ),
    PastReport(
        9,
        "Pak Baco",
        "tali tambat putus, hampir kena kepala",
        place="dock",
        activity="carry",
        near_miss=True,
    ),
    PastReport(
        6,
        "Ilham",
        "jari tersayat pisau waktu membersihkan ikan",
        activity="net",
        actions=("contacted",),
        followups=("better", "better"),
    ),
)
"""Fourteen reports, near misses among them, one or two a month in each group."""


class HistoryClock:
    """The engine's and the delivery job's clock, walked forward by the history."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


class SilentSender:
    """Delivery in the past: nobody reads it now, it is only marked sent."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.sent = 0

    async def send(self, recipient: str, reply: Reply) -> str:
        self.sent += 1
        return f"history:{self.sent}"


class DemoHistory:
    """Writes the history; `run` once, into a database that holds only the demo's base."""

    def __init__(
        self,
        database: Database,
        texts: Texts,
        settings: Settings,
        knowledge: Knowledge,
        now: dt.datetime,
    ) -> None:
        self.database = database
        self.texts = texts
        self.settings = settings
        self.end = now
        self.clock = HistoryClock(now - HISTORY)
        self.engine = Engine(database, texts, settings, knowledge, CONVERSATIONS, self.clock)
        self.delivery = OutboxDelivery(
            database,
            {channel: SilentSender(channel) for channel in APPS},
            {channel: RateLimit(per_second=1_000_000) for channel in APPS},
            clock=self.clock,
            quiet=QuietHours.parse("00:00-00:00"),
            default_timezone=settings.default_timezone,
            texts=texts,
            templates=settings.whatsapp_templates,
        )
        self.random = random.Random(2026)
        self.refs = {PERSONAS[p][0]: (Channel.TERMINAL, persona_id(p)) for p in PERSONAS}
        self.refs |= {p: (Channel.TERMINAL, persona_id(p)) for p in PERSONAS}
        self.messages = 0

    async def run(self) -> None:
        """Everything in the order it happened, then the meetings of those who had joined."""
        start = self.clock.now
        events: list[tuple[dt.datetime, Callable[[], Awaitable[None]]]] = []
        for code, names in (
            (FISHERMEN_CODE, FISHERMEN_MEMBERS),
            (PLANTATION_CODE, PLANTATION_MEMBERS),
        ):
            for number, name in enumerate(names):
                joins = start + dt.timedelta(days=2 + number * 5, hours=self.random.randint(0, 9))
                events.append((joins, partial(self._member, code, number, name)))
        for report in REPORTS:
            day = self.end - dt.timedelta(days=report.days_ago)
            at = day.replace(hour=2, minute=self.random.randint(0, 50))  # 10:00 WITA
            events.append((at, partial(self._report, report)))
        broadcast = (self.end - dt.timedelta(days=35)).replace(hour=1, minute=0)
        events.append((broadcast, self._broadcast))
        for moment, event in sorted(events, key=lambda item: item[0]):
            await self._at(moment)
            await event()
        await self._meetings(start)
        await self._recent_reminders()
        await self._at(self.end)
        await self._start_clean()

    # -- moving through time ------------------------------------------------------------------
    async def _at(self, moment: dt.datetime) -> None:
        """Walk the clock to `moment` (never back), delivering what falls due on the way."""
        self.clock.now = max(self.clock.now, moment)
        for _ in range(DELIVERY_PASSES):
            if not (await self.delivery.deliver_all()).handled:
                return
        raise RuntimeError("the demo history's outbox does not empty")

    async def _say(
        self, who: str, *, text: str | None = None, choice: str | None = None
    ) -> list[Reply]:
        self.messages += 1
        self.clock.now += STEP
        inbound = Inbound(
            channel=self.refs[who][0],
            user_ref=self.refs[who][1],
            message_id=f"demo-history:{self.messages}",
            received_at=self.clock.now,
            text=text,
            choice=choice,
        )
        replies = await self.engine.handle(inbound)
        if choice is not None and replies and replies[0].key == "common.choice_not_offered":
            raise RuntimeError(f"the demo history tapped {choice} for {who}, never offered")
        return replies

    async def _conversation(
        self, who: str, opening: str, answers: dict[str, tuple[str, str]], done: str
    ) -> None:
        """`opening`, then each question answered from `answers` (by the question's text key:
        ("text", words) or ("choice", token)) until a reply whose key starts with `done`."""
        replies = await self._say(who, text=opening)
        for _ in range(MAX_TURNS):
            if any(reply.key.startswith(done) for reply in replies):
                return
            asked = replies[-1].key
            if asked not in answers:
                raise RuntimeError(f"the demo history has no answer to {asked} for {who}")
            kind, value = answers[asked]
            if kind == "text":
                replies = await self._say(who, text=value)
            else:
                replies = await self._say(who, choice=value)
        raise RuntimeError(f"the demo history's conversation with {who} did not end")

    # -- the people ----------------------------------------------------------------------------
    async def _member(self, code: str, number: int, name: str) -> None:
        """A member registers on WhatsApp from the group's poster (over the first months)."""
        self.refs[name] = (Channel.WHATSAPP, f"demo-wa:{code}:{number}")
        await self._conversation(
            name,
            f"/start {code}",
            {
                "registration.welcome": ("choice", "lang:id"),
                "registration.consent": ("choice", "consent:yes"),
                "registration.ask_name": ("text", name),
                "registration.ask_phone": ("choice", "phone:skip"),
            },
            done="menu.title",
        )

    async def _meetings(self, start: dt.datetime) -> None:
        """The fishermen meet every Tuesday, the oil-palm workers on a Saturday each month; the
        kader record most occurrences with who came, and some members answer the reminder."""
        plans = (
            (FISHERMEN_CODE, "Pertemuan rutin", "balai nelayan", Repeat.WEEKLY, 1, 0.75),
            (PLANTATION_CODE, "Pertemuan bulanan", "pondok blok 7", Repeat.MONTHLY_WEEKDAY, 5, 0.6),
        )
        for code, title, place, repeat, weekday, turnout in plans:
            async with self.database.unit_of_work() as uow:
                group = await uow.groups.by_code(code)
                assert group is not None
                kader = await uow.users.by_platform(Channel.TERMINAL, self._kader_ref(code))
                assert kader is not None
                local = start.astimezone(ZoneInfo(group.timezone))
                days = (weekday - local.weekday()) % 7 + 7
                first = (local + dt.timedelta(days=days)).replace(
                    hour=8, minute=0, second=0, microsecond=0
                )
                activity = NewActivity(
                    group.id, "rutin", title, place, first.astimezone(dt.UTC), repeat.value, "all"
                )
                activity_id = await uow.activities.create(activity, kader.id, start)
                past = Recurrence(repeat, first).occurrences(
                    local, self.end.astimezone(local.tzinfo)
                )
                for occurrence in past:
                    if occurrence.astimezone(dt.UTC) > self.end - dt.timedelta(hours=3):
                        break
                    at = occurrence.astimezone(dt.UTC)
                    members = [
                        m.user_id
                        for m in await uow.memberships.members(group.id)
                        if m.joined_at <= at
                    ]
                    for user_id in members:
                        if self.random.random() < 0.3:
                            answer = "yes" if self.random.random() < 0.8 else "no"
                            await uow.rsvps.answer(
                                activity_id, at, user_id, answer, at - dt.timedelta(hours=14)
                            )
                    held = self.random.random() > 0.12 or at > self.end - dt.timedelta(days=14)
                    came = sorted(u for u in members if held and self.random.random() < turnout)
                    await uow.activities.record(
                        activity_id,
                        at,
                        held=held,
                        note="" if held else "hujan deras, ditunda",
                        attendees=came,
                        recorded_by=kader.id,
                        now=at + dt.timedelta(hours=4),
                    )
                    for user_id in came:
                        await uow.recaps.note_day(user_id, at)

    async def _recent_reminders(self) -> None:
        """The reminder job over the last days, hour by hour, as `posukk run` would have run it:
        without it, the first tick of the chat finds the latest meetings' reminders never sent,
        and records and logs each as dropped. What the first of these ticks finds missed before
        then is recorded quietly: it is the demo's distant past, not news for whoever runs it."""
        job = logging.getLogger(materialise_reminders.__module__)
        level = job.level
        job.setLevel(logging.ERROR)
        try:
            moment = self.end - REMINDERS_REPLAYED
            while moment < self.end:
                await self._at(moment)
                await materialise_reminders(self.database, self.texts, moment)
                moment += dt.timedelta(hours=1)
        finally:
            job.setLevel(level)

    def _kader_ref(self, code: str) -> str:
        return persona_id("sari" if code == FISHERMEN_CODE else "rahmat")

    # -- reports and what follows ------------------------------------------------------------
    async def _report(self, report: PastReport) -> None:
        day = self.clock.now
        who = "rep:who:none" if report.near_miss else "rep:who:self"
        await self._conversation(
            report.reporter,
            "/lapor",
            {
                "report.ask_who": ("choice", who),
                "report.ask_sex": (
                    "choice",
                    "rep:sex:P" if "Bu " in report.reporter else "rep:sex:L",
                ),
                "report.ask_age": ("text", str(self.random.randint(19, 56))),
                "report.ask_employment": ("choice", "rep:emp:self_employed"),
                "report.ask_what": ("text", report.words),
                "report.ask_what_near_miss": ("text", report.words),
                "report.ask_body": ("choice", f"rep:body:{report.body}"),
                "report.ask_when": ("choice", "rep:when:today"),
                "report.ask_where": ("choice", f"rep:at:{report.place}"),
                "report.ask_activity": ("choice", f"rep:act:{report.activity}"),
                "report.ask_danger": ("choice", "rep:danger:no"),
                "report.ask_first_aid": ("text", "dicuci air bersih lalu ditutup kain"),
                "report.ask_stopped": ("choice", "rep:stop:yes"),
                "report.ask_photo": ("choice", "rep:photo:skip"),
                "report.summary": ("choice", "rep:send"),
            },
            done="report.saved",
        )
        async with self.database.unit_of_work() as uow:
            reporter = await uow.users.by_platform(*self.refs[report.reporter])
            assert reporter is not None
            (incident,) = await uow.incidents.by_reporter(reporter.id, 1)
            group = await uow.groups.get(incident.group_id) if incident.group_id else None
        kader = "sari" if group is not None and group.join_code == FISHERMEN_CODE else "rahmat"
        for hours, action in zip((2, 20, 70), report.actions, strict=False):
            await self._at(day + dt.timedelta(hours=hours))
            await self._say(kader, choice=f"inc:{incident.id}:{action}")
        if report.near_miss:
            return
        followup_hours = self.settings.followup_hours
        for number, (hours, answer) in enumerate(
            zip(followup_hours, report.followups, strict=False), 1
        ):
            await self._at(incident.created_at + dt.timedelta(hours=hours, minutes=40))
            replies = await self._say(report.reporter, choice=f"fu:{incident.id}:{number}:{answer}")
            if replies and replies[-1].key == "followup.ask_days":
                await self._say(report.reporter, text=str(report.days_lost))

    async def _broadcast(self) -> None:
        """Bu Sari reminds her group about life jackets; the scheduler sends it to everyone."""
        await self._conversation(
            "sari",
            "/siaran",
            {
                "broadcast.ask_text": (
                    "text",
                    "Musim angin barat mulai. Pakai pelampung di perahu, dan kabari keluarga"
                    " sebelum melaut. Pertemuan Selasa membahas kotak P3K perahu.",
                ),
                "broadcast.ask_photo": ("choice", "bc:nophoto"),
                "broadcast.preview": ("choice", "bc:send"),
            },
            done="broadcast.queued",
        )
        while await advance_broadcasts(
            self.database, self.texts, self.settings.data_dir, self.clock.now, APPS
        ):
            await self._at(self.clock.now + dt.timedelta(seconds=5))

    async def _start_clean(self) -> None:
        """Nothing open for the personas: no conversation, no button from the past."""
        async with self.database.unit_of_work() as uow:
            for persona in PERSONAS:
                await uow.sessions.delete(Channel.TERMINAL, persona_id(persona))
                user = await uow.users.by_platform(Channel.TERMINAL, persona_id(persona))
                if user is not None:
                    await uow.offers.expire(user.id, self.end)


async def seed_history(
    database: Database, texts: Texts, settings: Settings, knowledge: Knowledge, now: dt.datetime
) -> None:
    """The demo's past six months, up to `now`; the base (`seed_demo`) must be dated six
    months back (`now - HISTORY`)."""
    await DemoHistory(database, texts, settings, knowledge, now).run()
