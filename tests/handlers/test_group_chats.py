"""Group chats through the engine and the scheduler: who may link one, what is posted there
(reminders and broadcasts only, never anything private), and what happens when it goes away."""

from __future__ import annotations

import json
from pathlib import Path

from bot.app.demo import FISHERMEN_CODE, PLANTATION_CODE, persona_id
from bot.base.clock import utc_now
from bot.base.models import Channel, ChatEvent, ChatEventKind, Reply
from bot.base.texts import Texts
from bot.core.engine import Engine
from bot.core.outbound import DeliveryError, Moved, Unreachable
from bot.domain.quiet import QuietHours
from bot.storage.database import Database
from bot.storage.records import Role
from scheduler.broadcasts import advance_broadcasts
from scheduler.delivery import OutboxDelivery
from scheduler.pacing import RateLimit
from scheduler.reminders import materialise_reminders
from tests.conftest import CONSENTED, DAY_BEFORE, ZONE, FakeClock, RowCounter, add_meeting, person
from tests.fakes.senders import ScriptedSender
from tests.handlers.test_report import report_cut_on_the_boat
from tests.scheduler.test_broadcasts import FakeTime, officer_broadcast

CHAT = "-1001"


def event(
    engine: Engine,
    kind: ChatEventKind,
    who: str | None = "sari",
    text: str = "",
    chat: str = CHAT,
    **extra: str,
) -> ChatEvent:
    return ChatEvent(
        channel=Channel.TERMINAL,
        chat_ref=chat,
        kind=kind,
        received_at=engine.clock(),
        user_ref=persona_id(who) if who else None,
        title="Nelayan Guntung",
        text=text,
        **extra,
    )


async def command(engine: Engine, text: str, who: str | None = "sari", chat: str = CHAT) -> str:
    replies = await engine.handle_chat_event(event(engine, ChatEventKind.COMMAND, who, text, chat))
    return "\n".join(reply.text for reply in replies)


def links(rows: RowCounter) -> list[tuple[object, ...]]:
    return rows(
        "SELECT pos_groups.join_code, group_chats.chat_ref, group_chats.unlinked_at IS NULL"
        " FROM group_chats JOIN pos_groups ON pos_groups.id = group_chats.group_id"
        " ORDER BY group_chats.id"
    )


def chat_posts(rows: RowCounter) -> list[tuple[object, ...]]:
    return rows(
        "SELECT outbox.kind, outbox.payload, outbox.status FROM outbox"
        " WHERE group_chat_id IS NOT NULL ORDER BY outbox.id"
    )


async def add_user(
    database: Database, ref: str, role: Role | None, *, regency: str | None = None
) -> None:
    async with database.unit_of_work() as uow:
        user = await uow.users.create(
            channel=Channel.TERMINAL, platform_id=persona_id(ref), name=ref.title(),
            language="id", consent_version=CONSENTED, now=utc_now(),
        )  # fmt: skip
        if role is not None:
            await uow.roles.grant(
                user_id=user.id, role=role, regency=regency, granted_by="t", now=utc_now()
            )


async def test_added_to_a_group_the_bot_explains_how_to_link_it(engine: Engine) -> None:
    replies = await engine.handle_chat_event(event(engine, ChatEventKind.ADDED, who="budi"))
    assert "/hubungkan" in replies[0].text
    assert "tidak pernah dikirim ke sini" in replies[0].text


async def test_a_kader_links_the_chat_to_their_own_pos_ukk_and_it_is_audited(
    engine: Engine, rows: RowCounter
) -> None:
    answer = await command(engine, "/hubungkan@PosUkkBot")
    assert "sekarang terhubung dengan Pos UKK" in answer
    assert "TIDAK dikirim ke sini" in answer
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 1)]
    audit = rows("SELECT action, detail FROM audit_log WHERE action LIKE 'group-chat%'")
    assert [action for action, _ in audit] == ["group-chat-link"]
    assert json.loads(str(audit[0][1]))["title"] == "Nelayan Guntung"
    assert "sudah terhubung" in await command(engine, "/hubungkan")
    assert "Pos UKK" in await command(engine, "/bantuan")


async def test_the_english_names_link_and_unlink_the_chat(engine: Engine, rows: RowCounter) -> None:
    """`/link` in a group chat links the chat (in private it links an account: `/tautkan`)."""
    assert "sekarang terhubung dengan Pos UKK" in await command(engine, "/link@PosUkkBot")
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 1)]
    assert "sudah dilepas" in await command(engine, "/unlink")
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 0)]


async def test_who_may_link_a_chat(engine: Engine, database: Database, rows: RowCounter) -> None:
    await add_user(database, "outsider", Role.OFFICER, regency="Kutai Timur")
    assert "belum terdaftar" in await command(engine, "/hubungkan", who="stranger")
    assert "hanya kader" in await command(engine, f"/hubungkan {FISHERMEN_CODE}", who="budi")
    assert "kode Pos UKK" in await command(engine, "/hubungkan", who="budi"), "no group of own"
    assert "hanya kader" in await command(engine, f"/hubungkan {FISHERMEN_CODE}", who="outsider")
    assert "kode Pos UKK" in await command(engine, "/hubungkan", who="andi"), "officer: which?"
    assert "tidak ditemukan" in await command(engine, "/hubungkan ZZZ999", who="andi")
    assert links(rows) == []
    assert "sekarang terhubung" in await command(engine, "/hubungkan btg-7k2", who="andi")
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 1)]


async def test_a_chat_linked_to_one_pos_ukk_is_not_taken_by_another_kader(
    engine: Engine, database: Database, rows: RowCounter
) -> None:
    await command(engine, "/hubungkan")
    answer = await command(engine, "/hubungkan", who="rahmat")
    assert "sudah terhubung dengan Pos UKK" in answer
    assert "/lepaskan" in answer
    assert "hanya kader" in await command(engine, "/lepaskan", who="rahmat")
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 1)]
    await add_user(database, "admin", Role.ADMIN)
    assert "sekarang terhubung" in await command(engine, f"/hubungkan {PLANTATION_CODE}", "admin")
    assert links(rows) == [(PLANTATION_CODE, CHAT, 1)]


async def test_other_commands_get_the_private_chat_hint_and_other_bots_commands_nothing(
    engine: Engine,
) -> None:
    await command(engine, "/hubungkan")
    assert "chat saya langsung" in await command(engine, "/lapor")
    assert "119" in await command(engine, "/sos")
    assert await command(engine, "/weather") == ""
    assert await command(engine, "halo semua") == "", "only commands, never a conversation"


async def test_reminders_are_posted_without_buttons_and_kader_meetings_not_at_all(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await command(engine, "/hubungkan")
    await add_meeting(database, clock)
    await add_meeting(database, clock, audience="kader")
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())
    await materialise_reminders(database, texts, clock())
    posts = chat_posts(rows)
    assert len(posts) == 1, "one post for the meeting for all, once; none for the kader meeting"
    reply = Reply.model_validate_json(str(posts[0][1]))
    assert reply.choices == ()
    assert "Pertemuan rutin" in reply.text
    assert "balai desa" in reply.text
    assert "Selasa 24-11-2026 08:00 WITA" in reply.text
    assert "chat pribadi" in reply.text


async def test_a_broadcast_is_posted_once_without_the_answer_button(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    await command(engine, "/hubungkan")
    await officer_broadcast(database, clock, text="Besok cek tensi gratis")
    await officer_broadcast(database, clock, text="Hanya kader", roles="kader")
    await officer_broadcast(database, clock, text="English only", language="en")
    for _ in range(2):
        await advance_broadcasts(database, texts, tmp_path, clock(), (Channel.TERMINAL,))
    posts = chat_posts(rows)
    assert len(posts) == 1, "kader-only and other-language broadcasts are not for the chat"
    reply = Reply.model_validate_json(str(posts[0][1]))
    assert "Besok cek tensi gratis" in reply.text
    assert reply.choices == ()
    tally = rows("SELECT broadcast_id FROM outbox WHERE group_chat_id IS NOT NULL")
    assert tally == [(1,)], "counted with its broadcast, so pause and cancel reach it"


async def test_the_preview_names_the_group_chat(engine: Engine) -> None:
    await command(engine, "/hubungkan")
    sari = person(engine, "sari")
    await sari.say("/siaran")
    await sari.say("Kerja bakti hari Minggu")
    await sari.tap("bc:nophoto")
    assert "Juga dikirim ke grup chat: Nelayan Guntung" in sari.last[-1].text


async def test_nothing_private_ever_goes_to_the_chat(
    engine: Engine,
    database: Database,
    texts: Texts,
    clock: FakeClock,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    await command(engine, "/hubungkan")
    budi = person(engine, "budi")
    await report_cut_on_the_boat(budi)
    await budi.say("kirim")
    await budi.say("/sos")
    await advance_broadcasts(database, texts, tmp_path, clock(), (Channel.TERMINAL,))
    kinds = {kind for kind, _, _ in chat_posts(rows)}
    assert kinds <= {"reminder", "broadcast"}
    alerts = rows("SELECT payload FROM outbox WHERE user_id IS NOT NULL")
    assert any("Budi" in str(payload) for (payload,) in alerts), "the kader was alerted"
    assert not [p for _, p, _ in chat_posts(rows) if "Budi" in str(p)]


async def test_unlinking_ends_the_posts_still_waiting(
    engine: Engine,
    database: Database,
    clock: FakeClock,
    texts: Texts,
    rows: RowCounter,
    tmp_path: Path,
) -> None:
    await command(engine, "/hubungkan")
    await officer_broadcast(database, clock)
    await advance_broadcasts(database, texts, tmp_path, clock(), (Channel.TERMINAL,))
    assert "hanya kader" in await command(engine, "/lepaskan", who="budi")
    assert "sudah dilepas" in await command(engine, "/lepaskan")
    assert [status for _, _, status in chat_posts(rows)] == ["unreachable"]
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 0)]
    assert "belum terhubung" in await command(engine, "/lepaskan")


async def test_removing_the_bot_ends_the_link_and_tells_the_kader(
    engine: Engine, rows: RowCounter
) -> None:
    await command(engine, "/hubungkan")
    assert await engine.handle_chat_event(event(engine, ChatEventKind.REMOVED, who="budi")) == []
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 0)]
    notices = rows(
        "SELECT users.name, outbox.payload FROM outbox JOIN users ON users.id = outbox.user_id"
        " WHERE outbox.kind = 'group_chat'"
    )
    assert [name for name, _ in notices] == ["Bu Sari"]
    notice = Reply.model_validate_json(str(notices[0][1]))
    assert 'dikeluarkan dari grup "Nelayan Guntung"' in notice.text
    replies = await engine.handle_chat_event(event(engine, ChatEventKind.ADDED, who="sari"))
    assert "/hubungkan" in replies[0].text, "added again: link it again"


async def test_a_moved_chat_keeps_its_link(engine: Engine, rows: RowCounter) -> None:
    await command(engine, "/hubungkan")
    moved = event(engine, ChatEventKind.MOVED, new_chat_ref="-100777")
    assert await engine.handle_chat_event(moved) == []
    assert links(rows) == [(FISHERMEN_CODE, "-100777", 1)]
    assert "sudah terhubung" in await command(engine, "/hubungkan", chat="-100777")


async def reminders_due(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, count: int
) -> None:
    """`count` posts waiting for the linked chat (reminders of as many meetings)."""
    await command(engine, "/hubungkan")
    for _ in range(count):
        await add_meeting(database, clock)
    clock.now = DAY_BEFORE
    await materialise_reminders(database, texts, clock())


def paced_delivery(
    database: Database, clock: FakeClock, sender: ScriptedSender, time: FakeTime
) -> OutboxDelivery:
    limits = {Channel.TERMINAL: RateLimit(30.0, 1.0, per_group_chat_interval=3.0)}
    return OutboxDelivery(
        database,
        {Channel.TERMINAL: sender},
        limits,
        clock=clock,
        default_timezone=ZONE,
        monotonic=time,
        sleep=time.sleep,
        quiet=QuietHours.parse("00:00-00:00"),
    )


async def test_posts_to_one_group_chat_stay_under_20_a_minute(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock
) -> None:
    await reminders_due(engine, database, texts, clock, 25)
    time = FakeTime()
    sender = ScriptedSender()
    sent_at: list[float] = []
    original = sender.send

    async def timed(recipient: str, reply: Reply) -> str | None:
        if recipient == CHAT:
            sent_at.append(time())
        return await original(recipient, reply)

    sender.send = timed  # type: ignore[method-assign]
    job = paced_delivery(database, clock, sender, time)
    while len(sent_at) < 25:
        stats = await job.deliver_all()
        if not stats.sent:
            time.now += 0.5
            clock.advance(seconds=0.5)
    assert len(sender.delivered) == 25 + 25 * 2, "the chat, and both members, each reminder"
    per_minute = max(sum(1 for t in sent_at if start <= t < start + 60) for start in sent_at)
    assert per_minute <= 20


async def test_a_chat_the_bot_was_removed_from_is_unlinked_by_delivery(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await reminders_due(engine, database, texts, clock, 3)

    def refuse(recipient: str, attempt: int) -> DeliveryError | None:
        if recipient == CHAT:
            return Unreachable("Forbidden: bot was kicked from the group chat")
        return None

    sender, time = ScriptedSender(refuse), FakeTime()
    job = paced_delivery(database, clock, sender, time)
    stats = await job.deliver_all()
    assert stats.unreachable == 1, "one attempt, then the other posts are skipped"
    for _ in range(3):
        time.now += 2
        clock.advance(seconds=2)
        await job.deliver_all()
    assert {status for _, _, status in chat_posts(rows)} == {"unreachable"}
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 0)]
    assert len([text for _, text in sender.delivered if "Anda datang?" in text]) == 6
    notices = [who for who, text in sender.delivered if "dikeluarkan dari grup" in text]
    assert notices == ["demo:sari"], "the kader hears of it, once"
    assert rows("SELECT COUNT(*) FROM users WHERE unreachable_at IS NOT NULL") == [(0,)]


async def test_a_post_to_a_chat_that_moved_goes_to_its_new_id(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await reminders_due(engine, database, texts, clock, 1)

    def moved(recipient: str, attempt: int) -> DeliveryError | None:
        return Moved("-100555") if recipient == CHAT else None

    sender = ScriptedSender(moved)
    job = paced_delivery(database, clock, sender, FakeTime())
    await job.deliver_all()
    await job.deliver_all()
    assert [r for r, _ in sender.delivered if r.startswith("-")] == ["-100555"]
    assert links(rows) == [(FISHERMEN_CODE, "-100555", 1)]
    assert [status for _, _, status in chat_posts(rows)] == ["sent"]


async def test_a_chat_moving_onto_an_id_linked_meanwhile_ends_the_old_link(
    engine: Engine, rows: RowCounter
) -> None:
    await command(engine, "/hubungkan")
    await command(engine, "/hubungkan", chat="-100777")  # the kader was quicker than the news
    await engine.handle_chat_event(event(engine, ChatEventKind.MOVED, new_chat_ref="-100777"))
    assert links(rows) == [(FISHERMEN_CODE, CHAT, 0), (FISHERMEN_CODE, "-100777", 1)]


async def test_a_chat_moving_onto_an_id_once_linked_takes_its_posts_there(
    engine: Engine, database: Database, texts: Texts, clock: FakeClock, rows: RowCounter
) -> None:
    await command(engine, "/hubungkan", chat="-100777")
    await command(engine, "/lepaskan", chat="-100777")
    await reminders_due(engine, database, texts, clock, 1)
    await engine.handle_chat_event(event(engine, ChatEventKind.MOVED, new_chat_ref="-100777"))
    assert links(rows) == [(FISHERMEN_CODE, "-100777", 1), (FISHERMEN_CODE, CHAT, 0)]
    waiting = rows(
        "SELECT group_chats.chat_ref, outbox.status FROM outbox"
        " JOIN group_chats ON group_chats.id = outbox.group_chat_id"
    )
    assert waiting == [("-100777", "pending")]
