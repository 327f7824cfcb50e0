"""Broadcast delivery: at the configured rate, exactly once across a crash, pausable, never in
the way of other messages, and as a template for WhatsApp users outside the 24-hour window."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from bot.app.demo import FISHERMEN_CODE
from bot.base import keys as bot_keys
from bot.base.clock import to_db
from bot.base.models import Channel, Reply
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.core.outbound import DeliveryError, NeedsTemplate, Unreachable
from bot.domain.audience import Audience, resolve
from bot.domain.broadcast_message import recipient_messages
from bot.storage.broadcasts import CANCELLED, Recipients
from bot.storage.database import Database
from scheduler.broadcasts import advance_broadcasts
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from scheduler.worker import DeliveryWorker
from tests.conftest import ZONE, FakeClock, RowCounter, person
from tests.fakes.senders import ScriptedSender

ALL = tuple(Channel)


class FakeTime:
    """A monotonic clock that only moves when the pacer sleeps: rates are measured exactly."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)  # sends started before it run at the time they were started
        self.now += seconds


def add_members(rows: RowCounter, count: int, *, channel: str = "terminal", seen: str = "") -> None:
    """`count` more workers in the demo fishermen group, written straight to the database."""
    stamp = seen or "2026-11-23T00:00:00+00:00"
    group_id = rows("SELECT id FROM pos_groups WHERE join_code = ?", FISHERMEN_CODE)[0][0]
    first = int(str(rows("SELECT COALESCE(MAX(id), 0) + 1 FROM users")[0][0]))
    rows.many(
        "INSERT INTO users (id, channel, platform_id, name, language, consent_version,"
        " consent_at, created_at, last_seen_at) VALUES (?, ?, ?, ?, 'id', 'v1', ?, ?, ?)",
        [(i, channel, f"{channel}:{i}", f"Nelayan {i}", stamp, stamp, stamp)
         for i in range(first, first + count)],
    )  # fmt: skip
    rows.many(
        "INSERT INTO memberships (user_id, group_id, joined_at) VALUES (?, ?, ?)",
        [(i, group_id, stamp) for i in range(first, first + count)],
    )


async def officer_broadcast(
    database: Database, clock: FakeClock, text: str = "Awas panas", **audience: object
) -> int:
    """A broadcast by Pak Andi (officer of both demo regencies), as the /siaran flow saves it."""
    async with database.unit_of_work() as uow:
        andi = await uow.users.by_platform(Channel.TERMINAL, "demo:andi")
        assert andi is not None
        return await uow.broadcasts.create(
            author_id=andi.id,
            audience=Audience.model_validate(audience).model_dump(mode="json"),
            text=text,
            photo=None,
            send_at=clock(),
            now=clock(),
        )


def delivery(
    database: Database,
    clock: FakeClock,
    senders: dict[Channel, ScriptedSender],
    limit: RateLimit | None = None,
    **options: object,
) -> OutboxDelivery:
    limits = dict.fromkeys(senders, limit or RateLimit(per_second=10_000))
    return OutboxDelivery(database, senders, limits, clock=clock, default_timezone=ZONE, **options)  # type: ignore[arg-type]


async def drain(job: OutboxDelivery) -> int:
    sent = 0
    while (stats := await job.deliver_all()).handled:
        sent += stats.sent
    return sent


def broadcast_texts(sender: ScriptedSender) -> list[str]:
    return [recipient for recipient, reply in sender.replies if reply.key == "broadcast.message"]


async def test_ten_thousand_recipients_at_the_configured_rate(
    rows: RowCounter, database: Database, texts: Texts, clock: FakeClock, tmp_path: Path
) -> None:
    add_members(rows, 9_997)  # with Bu Sari, Budi and Pak Rahmat: 10,000
    await officer_broadcast(database, clock)
    assert await advance_broadcasts(database, texts, tmp_path, clock(), ALL, batch=1_000) == 10_000
    time, sender = FakeTime(), ScriptedSender()
    sent_at: list[float] = []
    original = sender.send

    async def timed(recipient: str, reply: Reply) -> str | None:
        sent_at.append(time())
        return await original(recipient, reply)

    sender.send = timed  # type: ignore[method-assign]
    limit = RateLimit(per_second=30, bulk_share=0.8)  # broadcasts at most 24 a second
    job = delivery(
        database, clock, {Channel.TERMINAL: sender}, limit, monotonic=time, sleep=time.sleep
    )
    await drain(job)
    recipients = broadcast_texts(sender)
    assert len(recipients) == len(set(recipients)) == 10_000
    bulk_rate = 30 * 0.8
    assert time() == pytest.approx(10_000 / bulk_rate, abs=1.0)
    busiest = max(
        sum(1 for moment in sent_at if start <= moment < start + 1) for start in range(int(time()))
    )
    assert busiest <= bulk_rate + 1  # never over the share, give or take one message at an edge


async def test_a_crash_mid_broadcast_then_a_restart_reaches_everyone_exactly_once(
    rows: RowCounter, database: Database, texts: Texts, clock: FakeClock, tmp_path: Path
) -> None:
    add_members(rows, 1_197)  # 1,200 recipients
    await officer_broadcast(database, clock)
    recipients, payloads = await _recipients_and_payloads(database, texts)
    async with database.unit_of_work() as uow:  # the process queued one batch, then died
        broadcast = await uow.broadcasts.get(1)
        assert broadcast is not None
        queued_first = await uow.broadcasts.queue_batch(
            broadcast,
            recipients,
            payloads,
            batch=500,
            now=clock(),
            reply_token="bc:1:reply",
            reply_valid_until=clock() + dt.timedelta(days=1),
            channels=["terminal"],
        )
    assert queued_first == 500

    class Killed(BaseException):
        """The process is killed while a batch is claimed and partly sent."""

    calls = 0

    def dies_on_the_120th(recipient: str, attempt: int) -> DeliveryError | None:
        nonlocal calls
        calls += 1
        if calls == 120:
            raise Killed
        return None

    first_life = ScriptedSender(dies_on_the_120th)
    window = 8
    limit = RateLimit(per_second=10_000, in_flight=window)
    with pytest.raises(Killed):
        await drain(delivery(database, clock, {Channel.TERMINAL: first_life}, limit))
    assert 119 <= len(broadcast_texts(first_life)) < 119 + window, "nothing after the kill"

    # Restart: the scheduler queues the rest (and the first batch again, deduplicated), the
    # leases of the dead process run out, and delivery goes on.
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL, batch=500)
    clock.advance(seconds=61)
    second_life = ScriptedSender()
    await drain(delivery(database, clock, {Channel.TERMINAL: second_life}))
    everyone = broadcast_texts(first_life) + broadcast_texts(second_life)
    assert len(set(everyone)) == 1_200, "nobody lost"
    assert len(everyone) - 1_200 < window, "duplicated: at most the sends under way at the kill"


async def _recipients_and_payloads(
    database: Database, texts: Texts
) -> tuple[Recipients, dict[str, str]]:
    """What the scheduler computes before queueing Pak Andi's broadcast #1 to everyone."""
    async with database.unit_of_work() as uow:
        andi = await uow.users.by_platform(Channel.TERMINAL, "demo:andi")
        assert andi is not None
        _, recipients = await resolve(uow, andi.id, Audience())
        messages = await recipient_messages(uow, texts, andi, "Awas panas", None, 1)
    return recipients, {language: m.model_dump_json() for language, m in messages.items()}


async def test_pause_holds_only_the_broadcast_resume_and_cancel(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    add_members(rows, 197)  # 200 recipients
    andi = person(engine, "andi")
    broadcast_id = await officer_broadcast(database, clock)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    await andi.tap(f"bc:{broadcast_id}:pause")
    assert andi.keys[0] == "broadcast.pause_done"
    sender = ScriptedSender()
    job = delivery(database, clock, {Channel.TERMINAL: sender})
    await drain(job)
    assert broadcast_texts(sender) == [], "paused: nothing of the broadcast goes out"
    assert [reply.key for _, reply in sender.replies] == ["broadcast.tally"], "others still do"

    await andi.tap(f"bc:{broadcast_id}:resume")
    assert andi.keys[0] == "broadcast.resume_done"
    await job.deliver_all()  # one batch of 50
    await andi.tap(f"bc:{broadcast_id}:cancel")
    assert andi.keys[0] == "broadcast.cancel_done"
    await drain(job)
    assert len(broadcast_texts(sender)) == 50, "nothing more after the cancel"
    assert rows(
        "SELECT status, last_error, COUNT(*) FROM outbox WHERE broadcast_id = ?"
        " GROUP BY 1, 2 ORDER BY 1",
        broadcast_id,
    ) == [("failed", CANCELLED, 150), ("sent", None, 50)]
    assert "Dibatalkan sebelum terkirim: 150" in andi.last[0].text


async def test_messages_queued_after_a_broadcast_still_go_before_it(
    rows: RowCounter, database: Database, texts: Texts, clock: FakeClock, tmp_path: Path
) -> None:
    add_members(rows, 297)
    await officer_broadcast(database, clock)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    async with database.unit_of_work() as uow:  # a reminder, queued once the broadcast is
        budi = await uow.users.by_platform(Channel.TERMINAL, "demo:budi")
        assert budi is not None
        reminder = Reply(key="activity.reminder", text="Besok pertemuan rutin")
        await uow.outbox.enqueue(
            user_id=budi.id, kind="reminder", payload=reminder.model_dump_json(),
            dedupe_key=bot_keys.reminder(0) + "test", now=clock(),
        )  # fmt: skip
    sender = ScriptedSender()
    await delivery(database, clock, {Channel.TERMINAL: sender}).deliver_all()
    keys = [reply.key for _, reply in sender.replies]
    assert keys[:2] == ["broadcast.tally", "activity.reminder"]
    assert keys[2:] == ["broadcast.message"] * 48


async def test_people_writing_in_are_answered_while_a_broadcast_is_delivered(
    rows: RowCounter, engine: Engine, database: Database, texts: Texts, clock: FakeClock,
    tmp_path: Path,
) -> None:  # fmt: skip
    add_members(rows, 997)
    await officer_broadcast(database, clock)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    sender, underway = ScriptedSender(), asyncio.Event()
    original = sender.send

    async def networked(recipient: str, reply: Reply) -> str | None:
        await asyncio.sleep(0)  # a round trip to the platform: other tasks run meanwhile
        if len(sender.replies) >= 100:
            underway.set()
        return await original(recipient, reply)

    sender.send = networked  # type: ignore[method-assign]
    worker = DeliveryWorker(delivery(database, clock, {Channel.TERMINAL: sender}))
    worker.start()
    try:
        await underway.wait()
        budi = person(engine, "budi")
        await budi.say("tangan luka kena pisau")
        delivered_meanwhile = len(broadcast_texts(sender))
    finally:
        await worker.stop()
    assert budi.keys, "Budi got his answer"
    assert budi.keys[0] != "common.choice_not_offered"
    assert delivered_meanwhile < 1_000, "...before the broadcast was over"


async def test_whatsapp_users_outside_the_window_get_the_template(
    rows: RowCounter, database: Database, texts: Texts, clock: FakeClock, tmp_path: Path
) -> None:
    add_members(rows, 2, channel="whatsapp", seen=to_db(clock() - dt.timedelta(hours=30)))
    add_members(rows, 1, channel="whatsapp", seen=to_db(clock() - dt.timedelta(hours=2)))
    await officer_broadcast(database, clock, text="Cek kesehatan gratis\nSabtu jam 8")
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    whatsapp = ScriptedSender()
    job = delivery(
        database,
        clock,
        {Channel.WHATSAPP: whatsapp, Channel.TERMINAL: ScriptedSender()},
        templates={"broadcast": "posukk_siaran"},
    )
    await drain(job)
    sent = {recipient: reply for recipient, reply in whatsapp.replies}
    assert len(sent) == 3
    templated = [reply for reply in sent.values() if reply.template is not None]
    assert len(templated) == 2
    template = templated[0].template
    assert template is not None
    assert (template.name, template.language) == ("posukk_siaran", "id")
    (param,) = template.params
    assert "\n" not in param
    assert "Cek kesehatan gratis · Sabtu jam 8" in param
    assert templated[0].choices == ()
    (in_window,) = [reply for reply in sent.values() if reply.template is None]
    assert "Sabtu jam 8" in in_window.text
    assert in_window.choices


async def test_without_a_template_an_out_of_window_message_fails_with_the_reason(
    database: Database, texts: Texts, clock: FakeClock, rows: RowCounter, tmp_path: Path
) -> None:
    add_members(rows, 1, channel="whatsapp", seen=to_db(clock() - dt.timedelta(days=3)))
    broadcast_id = await officer_broadcast(database, clock)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    senders = {Channel.WHATSAPP: ScriptedSender(), Channel.TERMINAL: ScriptedSender()}
    await drain(delivery(database, clock, senders))
    assert senders[Channel.WHATSAPP].replies == []
    (reason,) = rows(
        "SELECT last_error FROM outbox WHERE broadcast_id = ? AND status = 'failed'",
        broadcast_id,
    )
    assert "no template" in str(reason[0])


async def test_progress_is_one_message_updated_in_place_then_a_final_report(
    rows: RowCounter, database: Database, texts: Texts, clock: FakeClock, tmp_path: Path
) -> None:
    add_members(rows, 97)  # 100 recipients
    await officer_broadcast(database, clock)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    sender = ScriptedSender()
    job = delivery(database, clock, {Channel.TERMINAL: sender})
    await job.deliver_all()  # the first progress message and 49 recipients
    (first_progress,) = [
        (i, r) for i, (_, r) in enumerate(sender.replies) if r.key == "broadcast.tally"
    ]
    assert "0 dari 100" in first_progress[1].text
    clock.advance(minutes=2)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    await job.deliver_all()
    updates = [reply for _, reply in sender.replies if reply.key == "broadcast.tally"]
    assert len(updates) == 2
    assert updates[1].replaces == f"m{first_progress[0] + 1}", "edits the first message"
    assert "49 dari 100" in updates[1].text
    await drain(job)
    clock.advance(minutes=2)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    await drain(job)
    (report,) = [reply for _, reply in sender.replies if reply.key == "broadcast.finished"]
    assert "Terkirim 100" in report.text
    payloads = [json.loads(reply.model_dump_json()) for _, reply in sender.replies]
    assert sum(1 for p in payloads if p["key"] == "broadcast.finished") == 1


async def test_a_closed_window_the_bot_did_not_know_of_turns_the_message_into_its_template(
    database: Database, texts: Texts, clock: FakeClock, rows: RowCounter, tmp_path: Path
) -> None:
    """WhatsApp says 131047 (re-engagement) although the person wrote within 24 hours, as far
    as the bot knew: the row goes again at once, as the template."""
    add_members(rows, 1, channel="whatsapp", seen=to_db(clock() - dt.timedelta(hours=1)))
    await officer_broadcast(database, clock)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)

    def window_closed(recipient: str, attempt: int) -> DeliveryError | None:
        return NeedsTemplate("131047: re-engagement message") if attempt == 1 else None

    whatsapp = ScriptedSender(window_closed)
    job = delivery(
        database,
        clock,
        {Channel.WHATSAPP: whatsapp, Channel.TERMINAL: ScriptedSender()},
        templates={"broadcast": "posukk_siaran"},
    )
    await drain(job)
    ((_, reply),) = whatsapp.replies
    assert reply.template is not None
    assert reply.template.name == "posukk_siaran"
    assert rows("SELECT status, attempts FROM outbox WHERE template_only = 1") == [("sent", 1)]


async def test_the_final_report_says_who_was_reached_on_a_linked_account(
    database: Database, texts: Texts, clock: FakeClock, tmp_path: Path
) -> None:
    async with database.unit_of_work() as uow:
        budi = await uow.users.by_platform(Channel.TERMINAL, "demo:budi")
        assert budi is not None
        code = await uow.identities.new_code(budi.id, clock(), dt.timedelta(minutes=15))
        await uow.identities.link(code, Channel.TELEGRAM, "tg-budi", clock())
    await officer_broadcast(database, clock)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    terminal = ScriptedSender(
        lambda recipient, attempt: Unreachable("gone") if recipient == "demo:budi" else None
    )
    telegram = ScriptedSender()
    job = delivery(database, clock, {Channel.TERMINAL: terminal, Channel.TELEGRAM: telegram})
    await drain(job)
    clock.advance(minutes=2)
    await advance_broadcasts(database, texts, tmp_path, clock(), ALL)
    await drain(job)
    assert broadcast_texts(telegram) == ["tg-budi"]
    (report,) = [
        r for _, r in terminal.replies if r.key in ("broadcast.finished", "broadcast.report")
    ]
    assert "tidak bisa dihubungi 0" in report.text
    assert "Lewat akun tertaut di aplikasi lain: 1" in report.text
