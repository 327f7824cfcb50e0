"""Update throughput and latency (issue 11): the full bot against a bare python-telegram-bot echo
bot, both long-polling the same local fake Bot API server in one run.

Hundreds of registered, consented Telegram workers (made directly in the database) talk to the
full bot (`bot.app.runner.run_bot`: engine, one SQLite transaction per update, outbox worker,
scheduler): typed first-aid questions with typos, main-menu taps, incident reports (`/lapor`)
answered step by step. Each user answers what the bot asked last, so every update takes the real
path. The echo bot then gets the very same updates, user by user in the same order, and answers
each with one message (it does not even acknowledge button presses).

Each bot runs in its own process; the fake server and the users run in this one, as Telegram is
elsewhere on a real deployment. The bot writes the id of every update it has finished to its
stdout; an update's latency runs from the fake handing it out (the `getUpdates` answer) to the
last message the bot sent to that chat for it (a user writes again only once answered).
"One in flight": one update at a time. "Under load": every user has one update in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import itertools
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from bench.results import Figure, percentile, report
from bot.app.demo import FISHERMEN_CODE, PLANTATION_CODE, seed_demo
from bot.app.runner import ALLOWED_UPDATES, run_bot
from bot.base.clock import utc_now
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.channels.telegram_http import AiohttpRequest
from bot.core.consent import consent_version
from bot.storage.database import Database
from bot.storage.records import Role
from tests.conftest import SCRIPTED_PACE
from tests.fakes.telegram_api import TOKEN, FakeTelegram, FakeUser

USERS = 400
"""Distinct workers; under load each has one update in flight."""
SINGLE_UPDATES = 300
LOAD_UPDATES = 1600
WARM_UP_UPDATES = 60
"""Sent to each bot before it is timed (imports, caches, the scheduler's jobs at start)."""
REPLY_TIMEOUT = 60.0
SEED = 11
TRIAGE_TEXTS = Path(__file__).parent.parent / "tests" / "data" / "triage_dev.jsonl"
PHASES = (("warm-up", False), ("one in flight", False), ("under load", True))
"""Each phase's name, and whether every user has an update in flight."""

QUESTION = "first-aid question (typed)"
MENU = "main-menu tap"
BUTTON = "first-aid / browse tap"
REPORT = "incident-report step"

Builder = ApplicationBuilder[Any, Any, Any, Any, Any, Any]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def bench_settings(api_url: str, data_dir: Path) -> Settings:
    """The bot's production settings, but for the local server, with a one-second long poll (a
    quick stop; a busy bot's `getUpdates` returns at once anyway), no quiet hours (the run is the
    same at any hour) and no flood guard (simulated users answer at once, many times a minute)."""
    return Settings(
        data_dir=data_dir,
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=api_url,
        telegram_file_url=api_url.replace("/bot", "/file/bot"),
        telegram_poll_timeout=1,
        quiet_hours="00:00-00:00",
        inbound_per_minute=SCRIPTED_PACE,
    )


# -- the Bot API side ---------------------------------------------------------------------------
class TimedTelegram(FakeTelegram):
    """The fake server noting when each update was handed out and when each chat last got a
    message from the bot; it forgets confirmed updates, so `getUpdates` stays fast."""

    def __init__(self) -> None:
        super().__init__()
        self.handed: dict[int, float] = {}
        self.replied: dict[int, float] = {}
        self.latest: dict[int, dict[str, Any]] = {}
        """The bot's last message to each chat."""
        self.asks_location: dict[int, bool] = {}

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        updates = await super()._api_getUpdates(params)
        self.updates = [u for u in self.updates if u["update_id"] >= self.confirmed_below]
        now = time.monotonic()
        for update in updates:
            self.handed.setdefault(update["update_id"], now)
        return updates

    def _bot_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = super()._bot_message(params, **content)
        chat_id = int(message["chat"]["id"])
        self.replied[chat_id] = time.monotonic()
        self.latest[chat_id] = message
        keyboard = (params.get("reply_markup") or {}).get("keyboard", [])
        self.asks_location[chat_id] = any(b.get("request_location") for r in keyboard for b in r)
        return message

    async def _edited(self, params: dict[str, Any], **changes: Any) -> dict[str, Any]:
        message = await super()._edited(params, **changes)
        self.replied[int(params["chat_id"])] = time.monotonic()
        return message


# -- the bots, each in its own process ------------------------------------------------------------
HTTP_SETUPS: dict[str, Callable[[Builder], Builder]] = {
    "default": lambda builder: builder,
    "updates-16": lambda builder: builder.concurrent_updates(16),
    "httpx": lambda builder: builder.request(HTTPXRequest(256)).get_updates_request(
        HTTPXRequest(1)
    ),
}
"""How both bots talk HTTP: as the bot ships (aiohttp, `bot.channels.telegram_http`, 256
connections for bot methods, 256 updates at a time), 16 updates at a time, or
python-telegram-bot's own httpx client (the full bot's long polling stays on aiohttp)."""


async def _finished(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    os.write(sys.stdout.fileno(), f"{update.update_id}\n".encode())


def _instrument(http: str) -> None:
    """Every application built in this process uses the HTTP set-up `http`, and writes the id of
    each update to stdout once its handlers (group 0) are done with it."""
    build = ApplicationBuilder.build

    def build_instrumented(builder: Builder) -> AnyApplication:
        application = build(HTTP_SETUPS[http](builder))
        application.add_handler(TypeHandler(Update, _finished), group=1)
        return application

    ApplicationBuilder.build = build_instrumented  # type: ignore[method-assign,assignment]


async def _echo(settings: Settings, stop: asyncio.Event) -> None:
    """The framework's floor: the bot's application set-up, one message back per update."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, message = update.effective_chat, update.effective_message
        assert chat is not None
        data = update.callback_query.data if update.callback_query else None
        await context.bot.send_message(chat.id, data or (message and message.text) or "ok")

    assert settings.telegram_token is not None
    application = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(CallbackQueryHandler(echo))
    application.add_handler(MessageHandler(None, echo))
    updater = application.updater
    assert updater is not None
    async with application:
        await application.start()
        await updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, timeout=settings.telegram_poll_timeout
        )
        await stop.wait()
        await updater.stop()
        await application.stop()


def serve(
    kind: str, http: str, api_url: str, data_dir: Path, profile: Path | None, one_core: bool
) -> None:
    """The child process: run the echo bot or the full bot until SIGTERM, under cProfile if
    `profile` names a folder for bot-<kind>.prof (CPU time of the event loop's thread, so other
    processes on the machine do not show in it), on one core if `one_core`."""
    if one_core:  # before any thread starts: they inherit it
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    _instrument(http)
    settings = bench_settings(api_url, data_dir)
    run = _echo if kind == "echo" else run_bot

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await run(settings, stop)

    if profile is None:
        asyncio.run(main())
        return
    with cProfile.Profile(time.thread_time) as profiler:
        asyncio.run(main())
    profiler.dump_stats(profile / f"bot-{kind}.prof")


class BotProcess:
    """One bot in a child process, logging to bot-<kind>.log in the data folder; `finished` is
    called with each update id it reports."""

    def __init__(self, kind: str, plan: Plan) -> None:
        self.kind = kind
        self.plan = plan
        self.log = Path()
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(
        self, fake: TimedTelegram, data_dir: Path, finished: Callable[[int], None]
    ) -> None:
        """Start the bot and wait for its first `getUpdates`."""
        polls = fake.polls
        self.log = data_dir / f"bot-{self.kind}.log"
        with self.log.open("wb") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.throughput", "--bot", self.kind,
                "--http", self.plan.http, "--api-url", fake.base_url, "--data-dir", str(data_dir),
                *(("--profile", str(self.plan.profile)) if self.plan.profile else ()),
                *(("--one-core",) if self.plan.one_core else ()),
                stdout=asyncio.subprocess.PIPE, stderr=log,
            )  # fmt: skip
        self._reader = asyncio.create_task(self._read(self._process, finished))
        await fake.wait_for(lambda: fake.polls > polls, within=60)

    @staticmethod
    async def _read(process: asyncio.subprocess.Process, finished: Callable[[int], None]) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            finished(int(line))

    def cpu_seconds(self) -> float:
        """User and system time the bot process has used so far (Linux)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> dict[str, int]:
        """Stop the bot; what it logged, each line (its first 70 characters) counted."""
        assert self._process is not None
        self._process.terminate()
        await asyncio.wait_for(self._process.wait(), 30)
        if self._reader is not None:
            await self._reader
        return dict(Counter(line[:70] for line in self.log.read_text().splitlines()))


# -- the users ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Action:
    """What a user does: type `text`, tap `token`, or (neither) share a location."""

    kind: str
    text: str | None = None
    token: str | None = None


Log = list[tuple[FakeUser, Action]]


class PhaseOver(Exception):
    """The phase has sent all its updates."""


@dataclass
class Phase:
    """One timed phase: how many updates are left to send, and what was measured."""

    budget: int
    log: Log = field(default_factory=list)
    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    """Seconds per answered update, by kind."""
    finished_at: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    started: float = field(default_factory=time.monotonic)
    calls_before: int = 0
    polls_before: int = 0
    cpu_before: tuple[float, float] = (0.0, 0.0)


class Driver:
    """Sends the users' updates to whichever bot runs now and waits for it to finish each."""

    def __init__(self, fake: TimedTelegram) -> None:
        self.fake = fake
        self.phase = Phase(0)
        self._waiting: dict[int, asyncio.Future[None]] = {}

    def finished(self, update_id: int) -> None:
        future = self._waiting.pop(update_id, None)
        if future is not None and not future.done():  # done: given up on (REPLY_TIMEOUT)
            future.set_result(None)

    async def act(self, user: FakeUser, action: Action) -> None:
        """Send `action` as an update and wait until the bot has finished with it."""
        phase = self.phase
        if phase.budget <= 0:
            raise PhaseOver
        phase.budget -= 1
        if action.token is not None:
            update = self.fake.press(user, self.fake.latest[user.id], action.token)
        elif action.text is not None:
            update = self.fake.send_text(user, action.text)
        else:
            update = self.fake.share_location(user, 0.1357, 117.4891)
        future = asyncio.get_running_loop().create_future()
        self._waiting[update["update_id"]] = future
        await asyncio.wait_for(future, REPLY_TIMEOUT)
        phase.finished_at.append(time.monotonic())
        handed = self.fake.handed.pop(update["update_id"])
        replied = self.fake.replied.get(user.id, 0.0)
        if replied < handed:
            phase.unanswered += 1
        else:
            phase.latencies[action.kind].append(replied - handed)
        phase.kinds[action.kind] += 1
        phase.log.append((user, action))


class Worker:
    """A registered worker talking to the full bot, answering what the bot asked last (its
    buttons), so every update follows the bot's real path."""

    def __init__(
        self, driver: Driver, user: FakeUser, rng: random.Random, questions: Sequence[str]
    ) -> None:
        self.driver = driver
        self.user = user
        self.rng = rng
        self.questions = questions

    def offered(self) -> list[str]:
        message = self.driver.fake.latest.get(self.user.id, {})
        return [token for _, token in self.driver.fake.buttons(message)]

    async def say(self, text: str, kind: str) -> None:
        await self.driver.act(self.user, Action(kind, text=text))

    async def tap(self, token: str, kind: str) -> None:
        """Tap a button the bot's last message offers."""
        if token not in self.offered():
            raise RuntimeError(f"{token} is not offered: {self.offered()}")
        await self.driver.act(self.user, Action(kind, token=token))

    async def tap_first(self, prefix: str, kind: str) -> None:
        await self.tap(next(t for t in self.offered() if t.startswith(prefix)), kind)

    async def converse(self) -> None:
        """One conversation, picked at random: half first aid, a quarter each menu and report."""
        await self.rng.choice((self.first_aid, self.first_aid, self.menu, self.report))()

    async def first_aid(self) -> None:
        """A typed question, then the next step and the danger signs, then back to the menu."""
        await self.say(self.rng.choice(self.questions), QUESTION)
        for token in ("fa:next", "fa:danger"):
            if token in self.offered():
                await self.tap(token, BUTTON)
        back = [t for t in ("fa:menu", "browse:menu") if t in self.offered()]
        if back:
            await self.tap(back[0], BUTTON)

    async def menu(self) -> None:
        """The main menu typed, help tapped, then a topic found through the first-aid list."""
        await self.say("menu", MENU)
        await self.tap("cmd:bantuan", MENU)
        await self.tap("cmd:p3k", MENU)
        await self.tap_first("cat:", BUTTON)
        await self.tap_first("topic:", BUTTON)
        await self.tap("fa:menu", BUTTON)

    async def report(self) -> None:
        """`/lapor`, each question answered (typed where people type), then sent."""
        await self.say("/lapor", REPORT)
        answers: dict[str, Callable[[], Awaitable[None]]] = {
            "rep:who:": lambda: self.tap("rep:who:self", REPORT),
            "rep:sex:": lambda: self.tap(self.rng.choice(("rep:sex:L", "rep:sex:P")), REPORT),
            "rep:age:": lambda: self.say(str(self.rng.randint(16, 70)), REPORT),
            "rep:emp:": lambda: self.tap_first("rep:emp:", REPORT),
            "topic:": lambda: self.say(self.rng.choice(self.questions), REPORT),
            "rep:body:": lambda: self.tap_first("rep:body:", REPORT),
            "rep:when:": lambda: self.say("kemarin jam 3 sore", REPORT),
            "rep:act:": lambda: self.tap_first("rep:act:", REPORT),
            "rep:danger:": lambda: self.tap("rep:danger:no", REPORT),
            "rep:fa:": lambda: self.say("dicuci air bersih, ditutup kain", REPORT),
            "rep:stop:": lambda: self.tap("rep:stop:no", REPORT),
            "rep:photo:": lambda: self.tap("rep:photo:skip", REPORT),
        }
        for _ in range(len(answers) + 2):
            offered = self.offered()
            if "rep:send" in offered:
                await self.tap("rep:send", REPORT)
                return
            if self.driver.fake.asks_location.get(self.user.id):
                await self.driver.act(self.user, Action(REPORT))  # where: shares a location
                continue
            prefix = next((p for p in answers if any(t.startswith(p) for t in offered)), None)
            if prefix is None:
                raise RuntimeError(f"the report asked something unexpected: {offered}")
            await answers[prefix]()
        raise RuntimeError("the report never reached its summary")


async def until_over(conversations: Iterable[Callable[[], Awaitable[None]]]) -> None:
    """Hold `conversations` one after the other until the phase has sent its updates."""
    try:
        for conversation in conversations:
            await conversation()
    except PhaseOver:
        return


async def replay(driver: Driver, log: Log) -> None:
    for user, action in log:
        await driver.act(user, action)


def by_user(log: Log) -> list[Log]:
    """`log` split per user, each in its order."""
    split: dict[int, Log] = {}
    for user, action in log:
        split.setdefault(user.id, []).append((user, action))
    return list(split.values())


# -- set-up, phases, figures ----------------------------------------------------------------------
async def seed(settings: Settings, users: Sequence[FakeUser]) -> None:
    """The demo groups, a Telegram kader for each, and `users` as consented workers in them."""
    database = await Database.open(settings.database)
    now = utc_now()
    agreed = consent_version(Texts.load(), settings)
    await seed_demo(database, now)
    async with database.unit_of_work() as uow:
        groups = [await uow.groups.by_code(code) for code in (FISHERMEN_CODE, PLANTATION_CODE)]
        for number, group in enumerate(groups):
            assert group is not None
            kader = await uow.users.create(
                channel=Channel.TELEGRAM, platform_id=str(90_000 + number), name=f"Kader {number}",
                language="id", consent_version=agreed, now=now,
            )  # fmt: skip
            await uow.memberships.join(kader.id, group.id, now)
            await uow.roles.grant(
                user_id=kader.id, role=Role.KADER, group_id=group.id, granted_by="bench", now=now
            )
        for number, person in enumerate(users):
            user = await uow.users.create(
                channel=Channel.TELEGRAM, platform_id=str(person.id), name=person.first_name,
                language="id", consent_version=agreed, now=now,
            )  # fmt: skip
            group = groups[number % len(groups)]
            assert group is not None
            await uow.memberships.join(user.id, group.id, now)
    await database.close()


@dataclass
class Measured:
    """One bot's figures in one phase."""

    per_second: float
    p50_ms: float
    p99_ms: float
    updates: int
    users: int
    unanswered: int
    api_calls_per_update: float
    updates_per_poll: float
    """Updates each `getUpdates` handed out: the batches the bot stores in one transaction."""
    bot_cpu: float
    """Share of one core the bot process used (its SQLite thread included)."""
    cpu_ms_per_update: float
    """The bot process's CPU time per update: unlike rates, hardly moved by other processes."""
    driver_cpu: float
    """Share of one core the fake server and the users used."""
    kinds: dict[str, int]
    """Updates sent, by kind."""
    by_kind_ms: dict[str, tuple[float, float]]
    """p50 and p99 latency by kind."""


def measure(phase: Phase, driver: Driver, bot: BotProcess, loaded: bool) -> Measured:
    """The phase's figures. Under load the rate counts the middle 80 % of completions, leaving
    out the ramp-up and the drain."""
    wall = time.monotonic() - phase.started
    done = sorted(phase.finished_at)
    if loaded:
        low, high = len(done) // 10, len(done) * 9 // 10
        rate = (high - low) / (done[high] - done[low])
    else:
        rate = len(done) / (done[-1] - phase.started)
    cpu_bot, cpu_driver = phase.cpu_before
    bot_cpu = bot.cpu_seconds() - cpu_bot
    latencies = [value for values in phase.latencies.values() for value in values]
    return Measured(
        per_second=rate,
        p50_ms=1000 * percentile(latencies, 0.5),
        p99_ms=1000 * percentile(latencies, 0.99),
        updates=len(done),
        users=len({user.id for user, _ in phase.log}),
        unanswered=phase.unanswered,
        api_calls_per_update=(len(driver.fake.calls) - phase.calls_before) / len(done),
        updates_per_poll=len(done) / max(1, driver.fake.polls - phase.polls_before),
        bot_cpu=bot_cpu / wall,
        cpu_ms_per_update=1000 * bot_cpu / len(done),
        driver_cpu=(time.process_time() - cpu_driver) / wall,
        kinds=dict(phase.kinds),
        by_kind_ms={
            kind: (1000 * percentile(values, 0.5), 1000 * percentile(values, 0.99))
            for kind, values in phase.latencies.items()
        },
    )


@dataclass(frozen=True)
class Plan:
    """What to run: how many users, updates one in flight and under load, the HTTP set-up,
    where cProfile dumps go (if anywhere), and whether each bot is held to one core."""

    users: int
    single: int
    load: int
    http: str
    profile: Path | None
    one_core: bool
    """Each bot held to one core of the machine (`--one-core`)."""


async def run_phase(
    driver: Driver, workers: Sequence[Worker], loaded: bool, recorded: Log | None
) -> Log:
    """Send the phase's updates (or replay `recorded`) one at a time or from every user at
    once; returns what was sent."""
    if recorded is not None:
        parts = by_user(recorded) if loaded else [recorded]
        await asyncio.gather(*(replay(driver, part) for part in parts))
    elif loaded:
        await asyncio.gather(*(until_over(itertools.repeat(w.converse)) for w in workers))
    else:
        await until_over(w.converse for w in itertools.cycle(workers))
    return driver.phase.log


Results = dict[str, dict[str, Measured]]
"""Per bot ("full", "echo") and phase."""


async def run(plan: Plan) -> tuple[Results, dict[str, dict[str, int]]]:
    """Both bots through every phase, the full bot first, the echo bot replaying its updates;
    also what each bot logged."""
    rng = random.Random(SEED)
    questions = [json.loads(line)["text"] for line in TRIAGE_TEXTS.read_text().splitlines()]
    people = [FakeUser(100_000 + n, f"Pekerja {n}") for n in range(plan.users)]
    fake = TimedTelegram()
    await fake.start()
    driver = Driver(fake)
    workers = [Worker(driver, p, random.Random(rng.random()), questions) for p in people]
    budgets = {"warm-up": WARM_UP_UPDATES, "one in flight": plan.single, "under load": plan.load}
    sent: dict[str, Log] = {}
    results: Results = {}
    logged: dict[str, dict[str, int]] = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            await seed(bench_settings(fake.base_url, Path(folder)), people)
            for kind in ("full", "echo"):
                bot = BotProcess(kind, plan)
                await bot.start(fake, Path(folder), driver.finished)
                results[kind] = {}
                try:
                    for name, loaded in PHASES:
                        recorded = sent.get(name) if kind == "echo" else None
                        driver.phase = Phase(
                            budgets[name] if recorded is None else len(recorded),
                            calls_before=len(fake.calls),
                            polls_before=fake.polls,
                            cpu_before=(bot.cpu_seconds(), time.process_time()),
                        )
                        sent[name] = await run_phase(driver, workers, loaded, recorded)
                        results[kind][name] = measure(driver.phase, driver, bot, loaded)
                except BaseException:
                    print(f"{bot.log.read_text()[-3000:]}\n(the {kind} bot's log)", file=sys.stderr)
                    raise
                finally:
                    logged[kind] = await bot.stop()
    finally:
        await fake.stop()
    return results, logged


def figures(results: Results) -> list[Figure]:
    """Rates and their ratio under load (also per Bot API call: the echo bot makes one per
    update), CPU per update and its ratio (which other processes on the machine move less), the
    full bot's own CPU per update (beyond what its Bot API calls cost the echo bot on the same
    HTTP stack), and latencies, with the issues' goals."""
    full, echo = results["full"]["under load"], results["echo"]["under load"]
    ratio = full.per_second / echo.per_second
    per_call = ratio * full.api_calls_per_update
    cpu_ratio = echo.cpu_ms_per_update / full.cpu_ms_per_update
    echo_per_call = echo.cpu_ms_per_update / echo.api_calls_per_update
    own = full.cpu_ms_per_update - echo_per_call * full.api_calls_per_update
    calls = full.api_calls_per_update
    shown = [
        Figure("ratio full / echo, under load", ratio, "", ">= 0.8", ratio >= 0.8),
        Figure("ratio per Bot API call, under load", per_call, ""),
        Figure("CPU ratio echo / full per update, load", cpu_ratio, ""),
        Figure("full bot Bot API calls per update, load", calls, "", "<= 2.0", calls <= 2.0),
        Figure("echo bot CPU per Bot API call, load", echo_per_call, "ms"),
        Figure("full bot's own CPU per update, load", own, "ms", "<= 2 ms", own <= 2.0),
    ]
    for name in ("under load", "one in flight"):
        shown += [
            Figure(f"{kind} bot, {name}", results[kind][name].per_second, "msg/s")
            for kind in ("echo", "full")
        ]
    shown += [
        Figure(f"{kind} bot CPU per update, under load", phases["under load"].cpu_ms_per_update,
               "ms")
        for kind, phases in results.items()
    ]  # fmt: skip
    for name in ("one in flight", "under load"):
        for kind in ("echo", "full"):
            measured = results[kind][name]
            shown.append(Figure(f"{kind} p50, {name}", measured.p50_ms, "ms"))
            goal = kind == "full" and name == "one in flight"
            shown.append(
                Figure(f"{kind} p99, {name}", measured.p99_ms, "ms",
                       "< 50 ms" if goal else "", measured.p99_ms < 50 if goal else None)
            )  # fmt: skip
    return shown


def print_phases(results: Results) -> None:
    """Per bot and phase: updates sent and left unanswered, Bot API calls and CPU per update."""
    print(f"\n  {'bot, phase':<24} {'updates':>7} {'users':>5} {'unanswered':>10} {'calls/upd':>9}"
          f" {'CPU ms/upd':>10} {'upd/poll':>8} {'bot CPU':>7} {'driver CPU':>10}")  # fmt: skip
    for kind, phases in results.items():
        for name, m in phases.items():
            print(f"  {kind + ', ' + name:<24} {m.updates:>7} {m.users:>5} {m.unanswered:>10}"
                  f" {m.api_calls_per_update:>9.2f} {m.cpu_ms_per_update:>10.2f}"
                  f" {m.updates_per_poll:>8.1f}"
                  f" {m.bot_cpu:>7.0%} {m.driver_cpu:>10.0%}")  # fmt: skip
    single, loaded = results["full"]["one in flight"], results["full"]["under load"]
    print(f"\n  {'full bot, by kind of update':<28} {'share under load':>16} {'one in flight':>20}")
    for kind, (p50, p99) in sorted(single.by_kind_ms.items()):
        share = loaded.kinds.get(kind, 0) / loaded.updates
        print(f"  {kind:<28} {share:>16.0%} {f'p50 {p50:.1f}, p99 {p99:.1f} ms':>20}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Update throughput and latency (issue 11).")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--single", type=int, default=SINGLE_UPDATES, help="updates, one in flight")
    parser.add_argument("--load", type=int, default=LOAD_UPDATES, help="updates under load")
    parser.add_argument("--http", choices=HTTP_SETUPS, default="default", help="HTTP set-up")
    parser.add_argument("--profile", type=Path, help="folder for cProfile dumps (bot-<kind>.prof)")
    parser.add_argument("--one-core", action="store_true", help="hold each bot to one core")
    parser.add_argument("--bot", choices=("echo", "full"), help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bot:
        serve(args.bot, args.http, args.api_url, args.data_dir, args.profile, args.one_core)
        return 0
    plan = Plan(args.users, args.single, args.load, args.http, args.profile, args.one_core)
    load_before = os.getloadavg()
    results, logged = asyncio.run(run(plan))
    print(f"\n  load average before the run: {load_before[0]:.2f} on {os.cpu_count()} cores")
    print_phases(results)
    for kind, lines in logged.items():
        for line, count in lines.items():
            print(f"  the {kind} bot logged {count} x: {line}")
    name = "throughput" if plan.http == "default" else f"throughput-{plan.http}"
    name += "-one-core" if plan.one_core else ""
    details: dict[str, object] = {
        "plan": asdict(plan),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "sniffio_installed": importlib.util.find_spec("sniffio") is not None,
        "results": {kind: {n: asdict(m) for n, m in p.items()} for kind, p in results.items()},
        "logged": logged,
    }
    report(name, figures(results), details)
    return 0


if __name__ == "__main__":
    sys.exit(main())
