"""`python -m bench.data_scale`: the queries that run often, on a large deployment's database.

100,000 people, 2,000 groups, 200,000 incident reports and 1,000,000 outbox rows, written by
bench/deployment.py and cached in the temporary directory (keyed by the generator, the migrations
and SQLite), as writing them takes longer than measuring. Each query is the real repository code,
timed in its own unit of work that is then rolled back, so every repetition sees the same rows;
the queries take turns, so a busy moment of the machine weighs on all alike. The baseline is a
primary-key lookup through the same path; the goal is under 50 ms each. The reminder job, which
runs every minute, is timed whole too.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import hashlib
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TypeVar

import aiosqlite

from bench import deployment
from bench.deployment import NOW
from bench.results import Figure, percentile, report
from bench.timing import ratio
from bot.base import keys
from bot.base.clock import to_db, utc_now
from bot.base.models import Channel, Inbound
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.domain.audience import Audience, Scope, resolve
from bot.reports.indicators import month_indicators
from bot.storage.database import Database, UnitOfWork
from bot.storage.sqlite import SqliteConnection
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from scheduler.broadcasts import advance_broadcasts
from scheduler.escalation import escalate_unattended
from scheduler.reminders import materialise_reminders
from scheduler.summaries import queue_summaries

GOAL_MS = 50.0
ANSWER_GOAL_MS = 100.0
"""Workers' answers while the minute's reminder tick runs (issue 22)."""
QUESTIONS = (
    "tangan sy luka kena pisau", "kaki terkilir waktu turun kapal",
    "digigit ular pas panen sawit", "mata kena getah sawit perih",
)  # fmt: skip
ASK_EVERY = 0.02
"""Seconds between one answer and the next question: up to 50 questions a second."""
ROUNDS = 100
CACHE = Path(tempfile.gettempdir()) / "posukk-bench"
BIG_TABLES = frozenset(
    {"users", "memberships", "outbox", "incidents", "incident_events", "attendance", "rsvps",
     "activity_days", "activity_records", "sessions", "inbound_seen"}
)  # fmt: skip
"""Tables that grow with people and time: a query must not read them whole."""
FEW_VALUES = frozenset({"status", "channel", "kind", "language", "role"})
"""Columns that split a big table in a few large parts: looking rows up by them reads most of it."""
T = TypeVar("T")


@dataclass(frozen=True)
class Picks:
    """Rows of the generated database the queries are asked about, varied over the rounds."""

    people: list[tuple[int, str, str]]
    groups: list[int]
    officers: list[tuple[str, int]]
    open_incidents: list[int]
    activities: list[tuple[int, int, str]]

    @classmethod
    def read(cls, path: Path) -> Picks:
        with contextlib.closing(sqlite3.connect(path)) as db:
            return cls(
                people=db.execute(
                    "SELECT id, channel, platform_id FROM users"
                    " WHERE erased_at IS NULL AND unreachable_at IS NULL ORDER BY id"
                ).fetchall(),
                groups=[row[0] for row in db.execute("SELECT id FROM pos_groups ORDER BY id")],
                officers=db.execute(
                    "SELECT regency, user_id FROM role_grants WHERE role = 'officer'"
                    " AND regency IS NOT NULL AND revoked_at IS NULL ORDER BY regency"
                ).fetchall(),
                open_incidents=[
                    row[0]
                    for row in db.execute("SELECT id FROM incidents WHERE status <> 'closed'")
                ],
                activities=db.execute(
                    "SELECT id, group_id, audience FROM activities WHERE cancelled_at IS NULL"
                ).fetchall(),
            )

    @staticmethod
    def pick(rows: Sequence[T], round_: int) -> T:
        """A different row each round, spread over `rows`, the same in every run."""
        return rows[(round_ * 7919) % len(rows)]


Work = Callable[[UnitOfWork, int], Awaitable[object]]
"""A probe: the queries of one operation, given a unit of work and the round number."""


def probes(picks: Picks) -> dict[str, Work]:
    """The operations timed, by name; the first is the baseline."""

    async def primary_key(uow: UnitOfWork, n: int) -> object:
        return await uow.users.get(picks.pick(picks.people, n)[0])

    async def update(uow: UnitOfWork, n: int) -> object:
        """What the engine looks up for each message before its handler runs."""
        user_id, channel, platform_id = picks.pick(picks.people, n)
        await uow.users.by_platform(Channel(channel), platform_id)
        await uow.sessions.load(Channel(channel), platform_id)
        await uow.roles.active(user_id)
        group_id = await uow.memberships.active_group_id(user_id)
        return group_id and await uow.groups.get(group_id)

    async def claim(uow: UnitOfWork, n: int) -> object:
        channel = (Channel.TELEGRAM, Channel.WHATSAPP)[n % 2]
        return await uow.outbox.claim(channel, NOW, NOW + dt.timedelta(seconds=60), 50)

    async def due_activities(uow: UnitOfWork, n: int) -> object:
        return await uow.activities.due_for_reminders(NOW + dt.timedelta(minutes=n % 60))

    async def reminder_audience(uow: UnitOfWork, n: int) -> object:
        """The recipients of one activity's reminder, as materialise_reminders finds them."""
        _, group_id, audience = picks.pick(picks.activities, n)
        if audience == "kader":
            return await uow.users.many(await uow.roles.kader_ids(group_id))
        members = await uow.memberships.members(group_id)
        return await uow.users.many([member.user_id for member in members])

    async def unattended(uow: UnitOfWork, n: int) -> object:
        return await uow.incidents.unattended(NOW - dt.timedelta(hours=4))

    async def regency_audience(uow: UnitOfWork, n: int) -> object:
        regency, officer = picks.pick(picks.officers, n)
        audience = Audience(scope=Scope.REGENCY, values=(regency,))
        _, recipients = await resolve(uow, officer, audience)
        return await uow.broadcasts.count_audience(recipients)

    async def indicators(uow: UnitOfWork, n: int) -> object:
        group = await uow.groups.get(picks.pick(picks.groups, n))
        assert group is not None
        return await month_indicators(uow, group, dt.date(2026, 10 + n % 2, 1))

    async def close_report(uow: UnitOfWork, n: int) -> object:
        """Closing a report withdraws its pending follow-up questions."""
        incident_id = picks.pick(picks.open_incidents, n)
        return await uow.outbox.withdraw(f"followup:{incident_id}:", "report closed")

    async def cancel_activity(uow: UnitOfWork, n: int) -> object:
        """Cancelling an activity first finds whom its next occurrence was announced to."""
        activity_id, _, _ = picks.pick(picks.activities, n)
        prefix = keys.reminder(activity_id)
        return await uow.outbox.sent_recipients(prefix, keys.reminder(activity_id, NOW))

    return {
        "primary-key lookup (baseline)": primary_key,
        "update: user, session, roles, group": update,
        "delivery: claim 50 due rows": claim,
        "reminders: activities due": due_activities,
        "reminders: an activity's audience": reminder_audience,
        "escalation: unattended reports": unattended,
        "broadcast: audience of a regency": regency_audience,
        "indicators: a group's month": indicators,
        "report closed: withdraw follow-ups": close_report,
        "activity cancelled: who was reminded": cancel_activity,
    }


class _Rollback(Exception):
    """Raised inside a unit of work to undo what a timed probe wrote."""


async def sample_ms(database: Database, work: Work, round_: int) -> float:
    elapsed = 0.0
    with contextlib.suppress(_Rollback):
        async with database.unit_of_work() as uow:
            start = time.perf_counter_ns()
            await work(uow, round_)
            elapsed = (time.perf_counter_ns() - start) / 1e6
            raise _Rollback
    return elapsed


async def full_scans(path: Path, work: Work) -> list[str]:
    """The statements `work` runs that read a big table (BIG_TABLES) whole, each after its
    query-plan line; nothing is kept of what it writes."""
    statements: list[str] = []
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        connection.row_factory = aiosqlite.Row
        await connection.execute("BEGIN")
        await connection.set_trace_callback(statements.append)
        await work(UnitOfWork(SqliteConnection(connection)), 0)
        await connection.execute("ROLLBACK")
    with contextlib.closing(sqlite3.connect(path)) as db:
        partial = {
            name
            for (name,) in db.execute(
                "SELECT i.name FROM sqlite_master AS t, pragma_index_list(t.name) AS i"
                " WHERE t.type = 'table' AND i.partial"
            )
        }
        return sorted(
            {
                f"{detail}: {' '.join(sql.split())}"
                for sql in statements
                for *_, detail in db.execute(f"EXPLAIN QUERY PLAN {sql}")
                if _reads_whole(detail, sql, partial)
            }
        )


def _reads_whole(detail: str, sql: str, partial: set[str]) -> bool:
    """Whether a query-plan line reads a big table, or a whole index of it: a scan (only a
    partial index, which holds the few rows a job is after, may be walked), or a search by
    columns of a few values only (a status, a channel). Plans name a table by its alias
    (`outbox AS o` is `SCAN o`)."""
    words = detail.split()
    aliases = dict((alias, table) for table, alias in re.findall(r"\b(\w+) AS (\w+)\b", sql))
    if aliases.get(words[1], words[1]) not in BIG_TABLES:
        return False
    if words[0] == "SCAN":
        return not partial.intersection(words)
    constraints = re.search(r"\((.+)\)$", detail)
    columns = (
        {re.split("[=<>]", term)[0] for term in constraints[1].split(" AND ")}
        if constraints
        else set()
    )
    return words[0] == "SEARCH" and bool(columns) and columns <= FEW_VALUES


async def measure(path: Path, picks: Picks) -> tuple[list[Figure], dict[str, object]]:
    operations = probes(picks)
    samples: dict[str, list[float]] = {name: [] for name in operations}
    database = await Database.open(path)
    await database.checkpoint_in_a_job()  # as `posukk run` does; its job runs between the jobs
    try:
        texts = Texts.load()
        asker = Asker(database, texts, data_dir=path.parent, people=picks.people)
        await asker.during(asyncio.sleep(2))  # warming up: the first answers fill caches
        _, idle_answers = await asker.during(asyncio.sleep(5))
        first_tick, tick_answers = await asker.during(
            timed_job(database, materialise_reminders(database, texts, NOW))
        )
        await database.checkpoint_aside()
        for round_ in range(ROUNDS):
            for name, work in operations.items():
                samples[name].append(await sample_ms(database, work, round_))
        (day, ticks_in_day), day_answers = await asker.during(a_day_of_ticks(database, texts, path))
        await database.checkpoint_aside()
        jobs = await other_jobs(database, texts, path.parent)
    finally:
        await database.close()
    baseline = percentile(next(iter(samples.values())), 0.5)
    figures = [Figure("primary-key lookup p50", baseline, "ms")]
    for name, values in list(samples.items())[1:]:
        p99 = percentile(values, 0.99)
        figures += [
            Figure(f"{name} p99", p99, "ms", goal=f"< {GOAL_MS:g} ms", met=p99 < GOAL_MS),
            ratio(f"{name} p50 / lookup", percentile(values, 0.5), baseline),
        ]
    idle_p99 = percentile(idle_answers, 0.99)
    figures.append(Figure("workers' answer p99, idle", idle_p99, "ms"))
    for name, answers in (
        ("first tick after a start", tick_answers),
        ("the day's ticks", day_answers),
    ):
        p99 = percentile(answers, 0.99)
        figures += [
            Figure(f"workers' answer p99 during {name}", p99, "ms",
                   goal=f"< {ANSWER_GOAL_MS:g} ms", met=p99 < ANSWER_GOAL_MS),
            ratio(f"workers' answer p99 during {name} / idle", p99, idle_p99),
        ]  # fmt: skip
    ticks = {
        "first tick after a start": first_tick,
        f"the next 24 hours' {ticks_in_day} ticks (longest)": day,
    }
    for name, job in {**{f"reminder job, {k}": v for k, v in ticks.items()}, **jobs}.items():
        figures += [
            Figure(f"{name}: whole", job.whole_ms, "ms"),
            Figure(f"{name}: longest write-lock hold", max(job.holds_ms), "ms",
                   goal=f"<= {GOAL_MS:g} ms", met=max(job.holds_ms) <= GOAL_MS),
        ]  # fmt: skip
        if job.reads_ms:
            figures.append(
                Figure(f"{name}: longest read-only transaction", max(job.reads_ms), "ms")
            )
    details: dict[str, object] = {
        "rounds": ROUNDS,
        "ms": {
            name: {q: round(percentile(values, s), 3) for q, s in (("p50", 0.5), ("p99", 0.99))}
            | {"max": round(max(values), 3)}
            for name, values in samples.items()
        },
        "jobs": {name: job.summary() for name, job in {**ticks, **jobs}.items()},
        "answers": {
            name: {
                "questions": len(answers),
                "p50_ms": round(percentile(answers, 0.5), 1),
                "p99_ms": round(percentile(answers, 0.99), 1),
            }
            for name, answers in (
                ("idle", idle_answers),
                ("first tick", tick_answers),
                ("the day's ticks", day_answers),
            )
        },
        "full_scans": {name: await full_scans(path, work) for name, work in operations.items()},
    }
    return figures, details


class Asker:
    """Workers writing in while a job runs: a typed first-aid question through the engine (no
    chat platform), one at a time, each from the next person, timed to the engine's answer."""

    def __init__(
        self,
        database: Database,
        texts: Texts,
        data_dir: Path,
        people: Sequence[tuple[int, str, str]],
    ) -> None:
        settings = Settings.model_construct(data_dir=data_dir)
        knowledge = Knowledge.load(settings.cache_dir)
        self.engine = Engine(database, texts, settings, knowledge, CONVERSATIONS)
        self.people = people
        self.asked = 0

    async def during(self, job: Awaitable[T]) -> tuple[T, list[float]]:
        """What `job` returns, and the answers' times (ms) while it ran."""
        answers: list[float] = []
        running = asyncio.ensure_future(job)
        while not running.done():
            answers.append(await self.ask())
            await asyncio.wait({running}, timeout=ASK_EVERY)
        return running.result(), answers

    async def ask(self) -> float:
        _, channel, platform_id = self.people[self.asked * 7919 % len(self.people)]
        inbound = Inbound(
            channel=Channel(channel), user_ref=platform_id, message_id=f"asked:{self.asked}",
            received_at=utc_now(), text=QUESTIONS[self.asked % len(QUESTIONS)],
        )  # fmt: skip
        self.asked += 1
        start = time.perf_counter_ns()
        replies = await self.engine.handle(inbound)
        assert replies, inbound
        return (time.perf_counter_ns() - start) / 1e6


@dataclass(frozen=True)
class JobTime:
    """A job's whole run, how long each of its transactions held the write lock, and how long
    each of its read-only transactions took (they hold up nobody)."""

    whole_ms: float
    holds_ms: list[float]
    reads_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {
            "whole_ms": round(self.whole_ms, 1),
            "transactions": len(self.holds_ms),
            "longest_hold_ms": round(max(self.holds_ms), 1),
            "read_only_transactions": len(self.reads_ms),
            "longest_read_ms": round(max(self.reads_ms, default=0.0), 1),
        }


_IN_JOB: contextvars.ContextVar[bool] = contextvars.ContextVar("in_job", default=False)
"""Set in the timed job's own task: the workers asking meanwhile open units of work too."""


async def timed_job(database: Database, job: Awaitable[object]) -> JobTime:
    """Run `job`, timing each unit of work it opens (from holding the lock to the commit; the
    wait for the lock is not counted) and each read-only one."""
    holds: list[float] = []
    reads: list[float] = []

    def timing(
        original: Callable[[], contextlib.AbstractAsyncContextManager[UnitOfWork]],
        into: list[float],
    ) -> Callable[[], contextlib.AbstractAsyncContextManager[UnitOfWork]]:
        @contextlib.asynccontextmanager
        async def timed() -> AsyncIterator[UnitOfWork]:
            if not _IN_JOB.get():
                async with original() as uow:
                    yield uow
                return
            start = 0
            try:
                async with original() as uow:
                    start = time.perf_counter_ns()
                    yield uow
            finally:
                if start:
                    into.append((time.perf_counter_ns() - start) / 1e6)

        return timed

    database.unit_of_work = timing(database.unit_of_work, holds)  # type: ignore[method-assign]
    database.reading = timing(database.reading, reads)  # type: ignore[method-assign]
    in_job = _IN_JOB.set(True)
    start = time.perf_counter_ns()
    try:
        await job
    finally:
        _IN_JOB.reset(in_job)
        del database.unit_of_work, database.reading
    return JobTime((time.perf_counter_ns() - start) / 1e6, holds or [0.0], reads)


async def a_day_of_ticks(database: Database, texts: Texts, path: Path) -> tuple[JobTime, int]:
    """The reminder job at each moment a reminder falls due in the 24 hours after `NOW`, in
    order, as the minute's tick meets them once the first tick has set every activity's time:
    the longest tick, every transaction's hold, and how many ticks."""
    longest, holds, reads, ticks = 0.0, [], [], 0
    moment = next_due(path, NOW)
    while moment is not None and moment <= NOW + dt.timedelta(days=1):
        tick = await timed_job(database, materialise_reminders(database, texts, moment))
        longest, ticks = max(longest, tick.whole_ms), ticks + 1
        holds += tick.holds_ms
        reads += tick.reads_ms
        moment = next_due(path, moment)
    return JobTime(longest, holds or [0.0], reads), ticks


def next_due(path: Path, after: dt.datetime) -> dt.datetime | None:
    """The next moment after `after` when an activity's reminder falls due."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        ((at,),) = db.execute(
            "SELECT MIN(remind_at) FROM activities WHERE cancelled_at IS NULL AND remind_at > ?",
            (to_db(after),),
        )
    return dt.datetime.fromisoformat(at) if at else None


async def other_jobs(database: Database, texts: Texts, data_dir: Path) -> dict[str, JobTime]:
    """The minute's other jobs, and the broadcast job going on with the broadcast under way."""
    settings = Settings.model_construct(data_dir=data_dir)
    knowledge = Knowledge.load(settings.cache_dir)
    escalate = escalate_unattended(database, texts, knowledge, NOW, settings.escalate_after_hours)
    summaries = queue_summaries(database, texts, knowledge, settings, NOW)
    channels = (Channel.TELEGRAM, Channel.WHATSAPP)
    broadcasts = advance_broadcasts(database, texts, data_dir, NOW, channels)
    return {
        "escalation job": await timed_job(database, escalate),
        "summaries job": await timed_job(database, summaries),
        "broadcast job": await timed_job(database, broadcasts),
    }


def cache_key() -> str:
    """Changes with the generator, the migrations and SQLite: a cached file is then stale."""
    digest = hashlib.sha256(Path(deployment.__file__).read_bytes())
    for entry in sorted((resources.files("bot.storage") / "migrations").iterdir(), key=str):
        if entry.is_file():  # SQLite's; PostgreSQL's are in a folder of their own
            digest.update(entry.read_bytes())
    digest.update(sqlite3.sqlite_version.encode())
    return digest.hexdigest()[:16]


async def cached_deployment() -> tuple[Path, float]:
    """The generated database file (written now if not cached); how long writing it took."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"deployment-{cache_key()}.sqlite3"
    if path.exists():
        return path, 0.0
    for stale in CACHE.glob("deployment-*"):
        stale.unlink()
    start = time.perf_counter()
    partial = path.with_suffix(".partial")
    await deployment.create(partial)
    partial.rename(path)
    return path, time.perf_counter() - start


async def main() -> None:
    cached, generation_s = await cached_deployment()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "posukk.sqlite3"
        shutil.copyfile(cached, path)  # the reminder job writes; the cached file stays as made
        figures, details = await measure(path, Picks.read(path))
    details["generation_s"] = round(generation_s, 1) if generation_s else "cached"
    report("data_scale", figures, details)


if __name__ == "__main__":
    asyncio.run(main())
