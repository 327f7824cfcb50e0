"""`posukk chat`: try every role of the bot with no token, on a local SQLite file.

Interactive on a terminal; with piped standard input it reads one message per line, so it can be
scripted. Messages the bot queues for other people are printed inline, marked with their recipient.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
import uuid
from collections.abc import Callable
from typing import TextIO

from bot.app.demo import PERSONAS, persona_id, seed_demo
from bot.app.demo_history import HISTORY, seed_history
from bot.base.clock import utc_now
from bot.base.models import Channel, Inbound
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.channels.console import ConsoleSender, render
from bot.core.engine import Engine
from bot.domain.quiet import QuietHours
from bot.storage.database import Database
from content.knowledge import Knowledge
from handlers import CONVERSATIONS
from scheduler.delivery import OutboxDelivery
from scheduler.jobs import run_due_jobs
from scheduler.pacing import RateLimit

QUIT_WORDS = frozenset({"/keluar", "/quit", "/exit"})
_PERSONA = re.compile(r"^/as(?:\s+(\S+))?$", re.IGNORECASE)
_FORWARD = re.compile(r"^/maju\s+(\d{1,3})\s*(jam|j|hari|h)?$", re.IGNORECASE)


class DemoClock:
    """The real time, which the demo can move forward (`/maju 5 jam`) to see reminders arrive."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utc_now() + self.offset


_PERSONA_NAME = re.compile(r"^[a-z][a-z0-9]{0,19}$")


def persona_name(persona: str) -> str:
    return PERSONAS[persona][0] if persona in PERSONAS else persona


class ConsoleChat:
    """One terminal session; `persona` is who is typing, switched with `/as NAME`."""

    def __init__(
        self,
        engine: Engine,
        database: Database,
        out: TextIO,
        persona: str = "saya",
        quiet_hours: str = "21:00-05:00",
    ) -> None:
        self.engine = engine
        self.database = database
        self.out = out
        self.persona = persona
        self.delivery = OutboxDelivery(
            database,
            {Channel.TERMINAL: ConsoleSender(self.say, persona_name)},
            {Channel.TERMINAL: RateLimit(per_second=10_000)},
            clock=engine.clock,
            quiet=QuietHours.parse(quiet_hours),
            default_timezone=engine.settings.default_timezone,
            texts=engine.texts,
        )

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def send(self, line: str) -> None:
        """Handle one typed line: a console command, or a message to the bot."""
        switch = _PERSONA.match(line.strip())
        if switch:
            self._switch_persona(switch.group(1))
            return
        forward = _FORWARD.match(line.strip())
        if forward and isinstance(self.engine.clock, DemoClock):
            days = (forward.group(2) or "jam").lower().startswith("h")
            amount = int(forward.group(1))
            self.engine.clock.offset += (
                dt.timedelta(days=amount) if days else dt.timedelta(hours=amount)
            )
            self.say(f"-- waktu demo / demo time: {self.engine.clock():%Y-%m-%d %H:%M} UTC --\n")
            await self.deliver_outbox()
            return
        inbound = Inbound(
            channel=Channel.TERMINAL,
            user_ref=persona_id(self.persona),
            message_id=uuid.uuid4().hex,
            received_at=self.engine.clock(),
            text=line[:4096],
        )
        for reply in await self.engine.handle(inbound):
            self.say(f"Bot:\n{render(reply, '  ')}\n")
        await self.deliver_outbox()

    async def deliver_outbox(self) -> None:
        """Run the jobs now due, then deliver what the bot queued for other people."""
        engine = self.engine
        await run_due_jobs(
            self.database,
            engine.texts,
            engine.knowledge,
            engine.settings,
            engine.clock(),
            self.delivery.senders.keys(),
        )
        held = 0
        while (stats := await self.delivery.deliver_due(Channel.TERMINAL)).handled:
            held += stats.deferred
            if not stats.sent:
                break
        if held:
            self.say(f">> {held} pesan ditahan (jam tenang atau penerima sedang pergi).\n")

    def _switch_persona(self, name: str | None) -> None:
        if name is None:
            people = ", ".join(f"{key} ({value[0]})" for key, value in PERSONAS.items())
            self.say(f"Anda sekarang: {self.persona}. Tokoh demo / demo personas: {people}.")
            self.say(
                "Ketik /as NAMA untuk berganti; nama baru = orang baru. /keluar untuk selesai.\n"
            )
            return
        name = name.lower()
        if not _PERSONA_NAME.match(name):
            self.say("Nama tokoh: huruf kecil dan angka saja / persona names: lowercase letters.\n")
            return
        self.persona = name
        self.say(f"-- sekarang Anda adalah {name} / you are now {name} --\n")


async def run_console(chat: ConsoleChat, stdin: TextIO, interactive: bool) -> None:
    """Read lines until end of input or /keluar; on a terminal, show a prompt and a greeting."""
    read: Callable[[], str]
    if interactive:
        chat.say(
            "Chat Pos UKK di terminal. Ketik /start untuk mulai, /as untuk ganti tokoh demo,"
            " /maju 5 jam untuk memajukan waktu demo, /keluar untuk selesai.\n"
        )

        def read() -> str:
            try:
                return input(f"[{chat.persona}] > ") + "\n"
            except EOFError:
                return ""
    else:
        read = stdin.readline
    while True:
        line = await asyncio.to_thread(read)
        if not line:
            return
        text = line.rstrip("\r\n")
        if text.strip().lower() in QUIT_WORDS:
            return
        if not text.strip():
            continue
        if not interactive:
            chat.say(f"[{chat.persona}] > {text}")
        await chat.send(text)


def is_interactive(stdin: TextIO) -> bool:
    return stdin.isatty() and sys.stdout.isatty()


async def chat_command(settings: Settings, db: str | None, persona: str) -> None:
    """`posukk chat`: the demo data on first use, then the chat until end of input."""
    database = await Database.open(settings.database_at(db))
    try:
        knowledge = Knowledge.load(settings.cache_dir)
        texts = Texts.load()
        now = utc_now()
        if await seed_demo(database, now - HISTORY):
            await seed_history(database, texts, settings, knowledge, now)
        engine = Engine(database, texts, settings, knowledge, CONVERSATIONS, clock=DemoClock())
        chat = ConsoleChat(
            engine, database, sys.stdout, persona.lower(), quiet_hours=settings.quiet_hours
        )
        await run_console(chat, sys.stdin, is_interactive(sys.stdin))
    finally:
        await database.close()
