"""The daily privacy job: old reports anonymised, old copies let go, counts kept."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from bot.base import keys
from bot.base.models import Channel, Reply
from bot.core.engine import Engine
from bot.core.notify import queue_reply
from bot.storage.attachments import ATTACHMENTS
from bot.storage.database import Database
from scheduler.retention import forget_old_data, years_before
from tests.conftest import FakeClock, Person, RowCounter, person
from tests.handlers.test_report import report_cut_on_the_boat

DAY = dt.timedelta(days=1)


def old_file(path: Path, content: bytes, age: dt.timedelta) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = (dt.datetime.now(dt.UTC) - age).timestamp()
    os.utime(path, (stamp, stamp))


async def test_reports_past_the_retention_period_keep_only_their_codes(
    engine: Engine, database: Database, clock: FakeClock, tmp_path: Path, rows: RowCounter
) -> None:
    old_file(tmp_path / "photos" / "old.jpg", b"old wound", 10 * DAY)
    old_file(tmp_path / "photos" / "new.jpg", b"new wound", 10 * DAY)
    old_file(tmp_path / "photos" / "stray.jpg", b"never sent", 10 * DAY)
    old_file(tmp_path / "photos" / "just-now.jpg", b"being reported", dt.timedelta(minutes=5))
    old_file(tmp_path / "exports" / "datasaya-2.json", b"{}", 2 * DAY)
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi, photo_ref="photos/old.jpg")
    await budi.tap("rep:send")
    clock.advance(days=4 * 365)
    rudi = Person(engine, "new-2")
    await rudi.register()
    await report_cut_on_the_boat(rudi, photo_ref="photos/new.jpg")
    await rudi.tap("rep:send")
    clock.advance(days=365 + 2)

    forgotten = await forget_old_data(database, tmp_path, clock(), retention_years=5)

    assert forgotten.reports == 1
    assert rows(
        "SELECT reference, reporter_id IS NULL, what_text, first_aid_given, photo_ref,"
        " anonymised_at IS NOT NULL, topic_id, body_part FROM incidents ORDER BY id"
    ) == [
        ("UKK-26-000001", 1, "", "", None, 1, "fish-hook", "hand"),
        ("UKK-30-000002", 0, "kena kail di jari", "dicuci air bersih, ditutup kain",
         "photos/new.jpg", 0, "fish-hook", "hand"),
    ]  # fmt: skip
    photos = sorted(path.name for path in (tmp_path / "photos").iterdir())
    assert photos == ["just-now.jpg", "new.jpg"]
    assert not (tmp_path / "exports" / "datasaya-2.json").exists()
    assert forgotten.photos == 2
    assert forgotten.files == 1

    again = await forget_old_data(database, tmp_path, clock(), retention_years=5)
    assert (again.reports, again.photos, again.files) == (0, 0, 0)


async def test_old_message_texts_and_ids_go_while_their_counts_stay(
    engine: Engine, database: Database, clock: FakeClock, tmp_path: Path, rows: RowCounter
) -> None:
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi)
    await budi.tap("rep:send")
    async with database.unit_of_work() as uow:
        lease = clock() + dt.timedelta(minutes=1)
        for message in await uow.outbox.claim(Channel.TERMINAL, clock(), lease, 10):
            await uow.outbox.mark_sent(message.id, clock(), "platform-1")
    clock.advance(days=31)

    forgotten = await forget_old_data(database, tmp_path, clock(), retention_years=5)

    assert forgotten.message_texts == 1, "the kader's alert, sent a month ago"
    assert forgotten.message_ids > 0
    assert rows(
        "SELECT kind, status, payload = '', platform_message_id FROM outbox ORDER BY id"
    ) == [
        ("incident_alert", "sent", 1, None),
        ("followup", "pending", 0, None),
        ("followup", "pending", 0, None),
    ]
    assert rows("SELECT COUNT(*) FROM inbound_seen") == [(0,)]


def test_a_leap_day_goes_back_to_the_28th() -> None:
    leap = dt.datetime(2028, 2, 29, 3, 0, tzinfo=dt.UTC)
    assert years_before(leap, 5) == dt.datetime(2023, 2, 28, 3, 0, tzinfo=dt.UTC)
    assert years_before(dt.datetime(2026, 11, 23, tzinfo=dt.UTC), 5).year == 2021


NAMES = ("queued", "sent")


async def test_attachments_stay_while_a_queued_message_needs_them(
    database: Database, clock: FakeClock, tmp_path: Path
) -> None:
    folder = tmp_path / ATTACHMENTS
    old_file(folder / "capaian-2026-11-queued.png", b"chart", 3 * DAY)
    old_file(folder / "capaian-2026-11-sent.png", b"chart", 3 * DAY)
    old_file(folder / "rekap-pos-ukk-2026-11-fresh.xlsx", b"workbook", dt.timedelta(hours=2))
    async with database.unit_of_work() as uow:
        sari = await uow.users.by_platform(Channel.TERMINAL, "demo:sari")
        assert sari is not None
        events = {name: keys.monthly_recap(n, dt.date(2026, 11, 1)) for n, name in enumerate(NAMES)}
        for name, event in events.items():
            reply = Reply(
                key="recap.monthly", text="Rekap", photo=str(folder / f"capaian-2026-11-{name}.png")
            )
            await queue_reply(uow, sari, reply, kind="recap", dedupe_key=event, now=clock())
        sent = await uow.outbox.id_of(keys.recipient_key(events["sent"], sari.id))
        assert sent is not None
        await uow.outbox.mark_sent(sent, clock(), "m1")

    forgotten = await forget_old_data(database, tmp_path, clock(), retention_years=5)

    assert sorted(path.name for path in folder.iterdir()) == [
        "capaian-2026-11-queued.png",
        "rekap-pos-ukk-2026-11-fresh.xlsx",
    ]
    assert forgotten.files == 1
