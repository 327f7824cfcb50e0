"""Telegram group chats end to end: the real python-telegram-bot against the local Bot API server.

A kader adds the bot to the Pos UKK's own Telegram group and links it with /hubungkan; from then
on reminders and broadcasts for that Pos UKK are also posted there, paced to Telegram's limit
for groups, and nothing private ever is. The fake refuses what Telegram refuses (a group the bot
left, the old id of a group that became a supergroup, a 21st message in a minute), so these tests
also show the bot never runs into those refusals, or recovers from them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.app.demo import FISHERMEN_CODE
from bot.base.clock import utc_now
from bot.base.models import Channel
from bot.base.settings import Settings
from bot.channels.telegram_http import AiohttpRequest
from bot.storage.activities import NewActivity
from bot.storage.database import Database
from scheduler import periodic
from tests.channels.conftest import KADER, OFFICER, RunningBot, start_bot
from tests.channels.test_telegram import add_telegram_members
from tests.conftest import RowCounter
from tests.fakes.telegram_api import (
    BOT_USER,
    KICKED,
    TOKEN,
    UPGRADED,
    FakeGroupChat,
    FakeTelegram,
    FakeUser,
)

GROUP = FakeGroupChat(-4001, "Nelayan Bontang Kuala")
SUPERGROUP_ID = -1004001
MEMBERS = range(9300, 9303)
"""Workers of the fishermen group on Telegram, besides the kader."""
STRANGER = FakeUser(8500, "Tamu")
WORKER = FakeUser(8501, "Bambang")


@pytest.fixture(autouse=True)
def quicker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Confirmed broadcasts start within half a second rather than five."""
    monkeypatch.setattr(periodic, "BROADCAST_TICK_SECONDS", 0.5)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Group chat posts unpaced: only the pacing test waits Telegram's 3 s between two posts."""
    return settings.model_copy(update={"telegram_per_group_chat_interval": 0.0})


@pytest.fixture
async def members(settings: Settings, seeded: None) -> None:
    await add_telegram_members(settings, MEMBERS)


@pytest.fixture
async def linked(telegram: FakeTelegram, bot: RunningBot) -> FakeGroupChat:
    """The kader has added the bot to the group chat and linked it to the fishermen group."""
    await link(telegram, GROUP)
    return GROUP


# -- helpers ---------------------------------------------------------------------------------
async def reply_to(telegram: FakeTelegram, user: FakeUser, text: str, expected: str) -> None:
    """`user` writes `text` privately; wait for a new answer containing `expected` (flows that
    repeat, like a second broadcast, ask the same questions again)."""
    before = len(telegram.texts_to(user.id))
    telegram.send_text(user, text)
    await telegram.wait_for(lambda: any(expected in t for t in telegram.texts_to(user.id)[before:]))


async def press(telegram: FakeTelegram, user: FakeUser, token: str, expected: str) -> None:
    """`user` presses the latest button `token` sent to them; wait for a new answer."""
    message = next(
        m
        for m in reversed(list(telegram.messages.values()))
        if m["chat"]["id"] == user.id and token in [data for _, data in telegram.buttons(m)]
    )
    before = len(telegram.texts_to(user.id))
    telegram.press(user, message, token)
    await telegram.wait_for(lambda: any(expected in t for t in telegram.texts_to(user.id)[before:]))


async def say_in_group(
    telegram: FakeTelegram, user: FakeUser, chat: FakeGroupChat, text: str, expected: str
) -> None:
    """`user` types `text` in `chat`; wait for the bot's answer there containing `expected`."""
    before = len(telegram.texts_to(chat.id))
    telegram.send_group_text(user, chat, text)
    await telegram.wait_for(lambda: any(expected in t for t in telegram.texts_to(chat.id)[before:]))


async def link(telegram: FakeTelegram, chat: FakeGroupChat, *, admin: bool = False) -> None:
    """The kader adds the bot to `chat` and links it to the fishermen group."""
    telegram.add_bot(chat, by=KADER, admin=admin)
    await telegram.wait_for(
        lambda: any("ketik /hubungkan di sini" in t for t in telegram.texts_to(chat.id))
    )
    await say_in_group(
        telegram, KADER, chat, f"/hubungkan@{BOT_USER['username']}", "sekarang terhubung"
    )


def rows(settings: Settings, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Read the bot's database directly, as an operator would."""
    return RowCounter(settings.database)(sql, *params)


def links(settings: Settings) -> list[tuple[Any, ...]]:
    """(chat id, title, Pos UKK join code, still linked) of every group chat ever linked."""
    return rows(
        settings,
        "SELECT group_chats.chat_ref, group_chats.title, pos_groups.join_code,"
        " group_chats.unlinked_at IS NULL FROM group_chats"
        " JOIN pos_groups ON pos_groups.id = group_chats.group_id ORDER BY group_chats.id",
    )


async def broadcast(telegram: FakeTelegram, text: str) -> None:
    """The officer sends `text` to everyone in the fishermen group (his only one)."""
    await reply_to(telegram, OFFICER, "/siaran", "Tulis pesan siaran")
    await reply_to(telegram, OFFICER, text, "tambah foto")
    await press(telegram, OFFICER, "bc:nophoto", "Pratinjau")
    await press(telegram, OFFICER, "bc:send", "mulai dikirim")


def last_preview(telegram: FakeTelegram) -> str:
    return next(t for t in reversed(telegram.texts_to(OFFICER.id)) if "Pratinjau" in t)


def count_in(telegram: FakeTelegram, chat_id: int, text: str) -> int:
    return sum(text in t for t in telegram.texts_to(chat_id))


def group_posts(settings: Settings) -> list[tuple[Any, ...]]:
    """(chat id, kind, status) of every outbox row meant for a group chat."""
    return rows(
        settings,
        "SELECT group_chats.chat_ref, outbox.kind, outbox.status FROM outbox"
        " JOIN group_chats ON group_chats.id = outbox.group_chat_id ORDER BY outbox.id",
    )


def posts_to(telegram: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    """The parameters of every message the bot sent to `chat_id`."""
    return [call.params for call in telegram.sent(chat_id, "sendMessage")]


async def add_activity(settings: Settings, title: str, audience: str) -> None:
    """An activity of the fishermen group starting in an hour, created by the kader."""
    database = await Database.open(settings.database)
    try:
        async with database.unit_of_work() as uow:
            group = await uow.groups.by_code(FISHERMEN_CODE)
            kader = await uow.users.by_platform(Channel.TELEGRAM, str(KADER.id))
            assert group is not None
            assert kader is not None
            start = utc_now() + dt.timedelta(hours=1)
            activity = NewActivity(group.id, "rutin", title, "balai desa", start, "once", audience)
            await uow.activities.create(activity, kader.id, utc_now())
    finally:
        await database.close()


async def restart(bot: RunningBot, **changes: object) -> RunningBot:
    """Stop the bot and start it again; its first job tick queues what is due."""
    await bot.shutdown()
    return await start_bot(bot.settings.model_copy(update=changes))


# -- linking ----------------------------------------------------------------------------------
async def test_added_to_a_group_chat_the_bot_explains_how_to_link_it(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    telegram.add_bot(GROUP, by=KADER)
    await telegram.wait_for(lambda: bool(telegram.texts_to(GROUP.id)))
    (added,) = telegram.texts_to(GROUP.id)
    assert "Kader: ketik /hubungkan di sini" in added
    assert "Laporan, nama dan data pribadi tidak pernah dikirim ke sini" in added
    assert telegram.allowed_updates is not None
    assert "my_chat_member" in telegram.allowed_updates, "without it the bot never knows"


async def test_the_kader_links_the_group_chat_with_hubungkan(
    telegram: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    telegram.add_bot(GROUP, by=KADER)
    await say_in_group(
        telegram, KADER, GROUP, "/hubungkan@PosUkkBot", "Grup ini sekarang terhubung"
    )
    linked = telegram.texts_to(GROUP.id)[-1]
    assert "Pos UKK Nelayan Bontang Kuala" in linked
    assert "Laporan kejadian, nama dan data pribadi TIDAK dikirim ke sini" in linked
    assert links(settings) == [(str(GROUP.id), GROUP.title, FISHERMEN_CODE, 1)]


async def test_someone_not_registered_cannot_link_the_group_chat(
    telegram: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    telegram.add_bot(GROUP, by=STRANGER)
    await say_in_group(telegram, STRANGER, GROUP, "/hubungkan", "belum terdaftar")
    assert links(settings) == []
    assert not any("terhubung dengan Pos UKK" in t for t in telegram.texts_to(GROUP.id))


async def test_the_kader_unlinks_the_group_chat_with_lepaskan(
    telegram: FakeTelegram, linked: FakeGroupChat, settings: Settings
) -> None:
    await say_in_group(telegram, KADER, linked, "/lepaskan", "sudah dilepas dari Pos UKK")
    assert links(settings) == [(str(GROUP.id), GROUP.title, FISHERMEN_CODE, 0)]


async def test_the_group_chat_command_menu_is_set(telegram: FakeTelegram, bot: RunningBot) -> None:
    scope = json.dumps({"type": "all_group_chats"})
    await telegram.wait_for(lambda: {(scope, "id"), (scope, "en")} <= telegram.commands.keys())
    names = [c["command"] for c in telegram.commands[(scope, "id")]]
    assert names == ["hubungkan", "lepaskan", "bantuan"]
    english = [c["command"] for c in telegram.commands[(scope, "en")]]
    assert english == names


async def test_a_command_for_another_bot_is_not_answered(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    await link(telegram, GROUP, admin=True)  # an administrator gets every message
    before = len(telegram.texts_to(GROUP.id))
    telegram.send_group_text(KADER, GROUP, "/help@PosyanduBot")
    await telegram.wait_for(lambda: telegram.confirmed_below > telegram.updates[-1]["update_id"])
    # Fetched and handled before this one: an answer to it would have come first.
    await say_in_group(telegram, KADER, GROUP, "/hubungkan@PosUkkBot", "sudah terhubung")
    assert telegram.texts_to(GROUP.id)[before:] == [
        "Grup ini sudah terhubung dengan Pos UKK Nelayan Bontang Kuala."
    ]


# -- what is posted there ---------------------------------------------------------------------
async def test_a_broadcast_is_posted_once_in_the_linked_group_chat_without_buttons(
    telegram: FakeTelegram, members: None, linked: FakeGroupChat, settings: Settings
) -> None:
    text = "Besok cek tensi gratis di balai desa"
    await broadcast(telegram, text)
    assert "Juga dikirim ke grup chat: Nelayan Bontang Kuala" in last_preview(telegram)
    everyone = [KADER.id, *MEMBERS]
    await telegram.wait_for(lambda: all(count_in(telegram, m, text) for m in everyone), 20)
    await telegram.wait_for(lambda: group_posts(settings) == [(str(GROUP.id), "broadcast", "sent")])
    assert [count_in(telegram, m, text) for m in everyone] == [1] * len(everyone)
    private = telegram.last_message_to(MEMBERS[0])
    assert [label for label, _ in telegram.buttons(private)] == ["Balas"]
    (post,) = [p for p in posts_to(telegram, linked.id) if text in p["text"]]
    assert "reply_markup" not in post, "no Balas button: replies in a group would be public"
    assert telegram.buttons(telegram.last_message_to(linked.id)) == []
    assert telegram.refusals == []


async def test_a_reminder_is_posted_in_the_group_chat_without_answer_buttons(
    telegram: FakeTelegram, members: None, linked: FakeGroupChat, bot: RunningBot
) -> None:
    await add_activity(bot.settings, "Senam pagi bersama", "all")
    # Only the 2-hours-before reminder: with the default offsets the day-before one is due at
    # once too (both still useful after downtime), and would be posted a second time.
    again = await restart(bot, reminders="2h")
    try:
        await telegram.wait_for(
            lambda: count_in(telegram, linked.id, "Pengingat kegiatan Pos UKK") >= 1, 20
        )
        await telegram.wait_for(
            lambda: all(count_in(telegram, m, "Senam pagi bersama") for m in [KADER.id, *MEMBERS]),
            20,
        )
    finally:
        await again.shutdown()
    (post,) = [p for p in posts_to(telegram, linked.id) if "Senam pagi bersama" in p["text"]]
    assert "Jawab hadir atau tidak lewat chat pribadi dengan saya" in post["text"]
    assert "reply_markup" not in post
    for member in [KADER.id, *MEMBERS]:
        (mine,) = [p for p in posts_to(telegram, member) if "Senam pagi bersama" in p["text"]]
        labels = [b["text"] for row in mine["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Hadir", "Tidak bisa"]


async def test_a_kader_meeting_is_not_announced_in_the_group_chat(
    telegram: FakeTelegram, linked: FakeGroupChat, bot: RunningBot
) -> None:
    await add_activity(bot.settings, "Rapat kader", "kader")
    before = len(telegram.texts_to(linked.id))
    again = await restart(bot, reminders="2h")
    try:
        await telegram.wait_for(lambda: count_in(telegram, KADER.id, "Rapat kader") == 1, 20)
    finally:
        await again.shutdown()
    assert telegram.texts_to(linked.id)[before:] == []
    assert rows(bot.settings, "SELECT kind FROM outbox WHERE group_chat_id IS NOT NULL") == []


async def test_an_incident_report_never_reaches_the_group_chat(
    telegram: FakeTelegram, linked: FakeGroupChat, settings: Settings
) -> None:
    before = len(telegram.texts_to(linked.id))
    await reply_to(telegram, WORKER, f"/start {FISHERMEN_CODE}", "Pilih bahasa")
    await press(telegram, WORKER, "lang:id", "Apakah Anda setuju?")
    await press(telegram, WORKER, "consent:yes", "Siapa nama Anda?")
    await reply_to(telegram, WORKER, WORKER.first_name, "Nomor HP Anda?")
    await reply_to(telegram, WORKER, "0812 5555 7777", "sudah masuk grup")
    await reply_to(telegram, WORKER, "/lapor", "Siapa yang celaka?")
    await press(telegram, WORKER, "rep:who:self", "Laki-laki atau perempuan?")
    await press(telegram, WORKER, "rep:sex:L", "Umurnya berapa tahun?")
    await reply_to(telegram, WORKER, "42", "Status kerjanya?")
    await press(telegram, WORKER, "rep:emp:self_employed", "Apa yang terjadi?")
    await reply_to(telegram, WORKER, "kena kail", "Bagian tubuh mana")
    await press(telegram, WORKER, "rep:body:hand", "Kapan kejadiannya?")
    await press(telegram, WORKER, "rep:when:now", "Di mana? Bagikan")
    await reply_to(telegram, WORKER, "di perahu", "Sedang kerja apa")
    await reply_to(telegram, WORKER, "memancing", "tanda bahaya")
    await press(telegram, WORKER, "rep:danger:no", "Pertolongan apa")
    await reply_to(telegram, WORKER, "dicuci air bersih", "berhenti kerja")
    await press(telegram, WORKER, "rep:stop:no", "Ada foto")
    await press(telegram, WORKER, "rep:photo:skip", "Periksa laporan Anda")
    await press(telegram, WORKER, "rep:send", "✅ Laporan")
    await telegram.wait_for(
        lambda: any("Laporan kejadian di grup" in t for t in telegram.texts_to(KADER.id))
    )
    alert = next(t for t in telegram.texts_to(KADER.id) if "Laporan kejadian di grup" in t)
    assert "Bambang" in alert
    assert telegram.texts_to(linked.id)[before:] == []
    assert not any("Bambang" in t or "kail" in t for t in telegram.texts_to(linked.id))
    assert rows(settings, "SELECT kind FROM outbox WHERE group_chat_id IS NOT NULL") == []


# -- when the group chat goes away or changes -------------------------------------------------
async def test_removing_the_bot_ends_the_link_and_tells_the_kader(
    telegram: FakeTelegram, linked: FakeGroupChat, settings: Settings
) -> None:
    telegram.remove_bot(linked, by=KADER, status="kicked")
    await telegram.wait_for(lambda: count_in(telegram, KADER.id, "dikeluarkan") == 1)
    notice = next(t for t in telegram.texts_to(KADER.id) if "dikeluarkan" in t)
    assert f'Bot dikeluarkan dari grup "{GROUP.title}"' in notice
    assert links(settings) == [(str(GROUP.id), GROUP.title, FISHERMEN_CODE, 0)]


async def test_after_the_bot_left_a_broadcast_is_not_posted_there(
    telegram: FakeTelegram, linked: FakeGroupChat, settings: Settings
) -> None:
    telegram.remove_bot(linked, by=KADER, status="left")
    await telegram.wait_for(lambda: count_in(telegram, KADER.id, "dikeluarkan") == 1)
    before = len(telegram.texts_to(linked.id))
    await broadcast(telegram, "Posyandu pindah ke hari Kamis")
    assert "Juga dikirim ke grup chat" not in last_preview(telegram)
    await telegram.wait_for(
        lambda: count_in(telegram, KADER.id, "Posyandu pindah ke hari Kamis") == 1, 20
    )
    # A post for the group chat would have been queued with the kader's copy, and first.
    assert group_posts(settings) == []
    assert telegram.texts_to(linked.id)[before:] == []
    assert telegram.refusals == [], "the link had ended: no attempt to post there at all"


async def test_the_kader_is_told_when_a_refused_post_ends_the_link(
    telegram: FakeTelegram, linked: FakeGroupChat, bot: RunningBot
) -> None:
    """Removed while the bot was down for over a day (Telegram keeps updates for 24 hours), or
    while a post was on its way: the 403 ends the link, and the kader should hear of it."""
    await add_activity(bot.settings, "Senam pagi bersama", "all")
    telegram.remove_bot(linked, by=KADER, announce=False)
    again = await restart(bot, reminders="2h")
    try:
        await telegram.wait_for(lambda: links(bot.settings)[0][3] == 0, 20)
        assert [(r.chat_id, r.status, r.description) for r in telegram.refusals] == [
            (GROUP.id, 403, KICKED)
        ]
        await telegram.wait_for(lambda: count_in(telegram, KADER.id, "dikeluarkan") == 1, 4)
    finally:
        await again.shutdown()


async def test_after_an_upgrade_to_a_supergroup_posts_go_to_the_new_id(
    telegram: FakeTelegram, linked: FakeGroupChat, settings: Settings
) -> None:
    supergroup = telegram.migrate(linked, SUPERGROUP_ID, by=KADER)
    await telegram.wait_for(lambda: links(settings)[0][0] == str(SUPERGROUP_ID))
    await broadcast(telegram, "Pemeriksaan mata gratis hari Sabtu")
    await telegram.wait_for(
        lambda: group_posts(settings) == [(str(SUPERGROUP_ID), "broadcast", "sent")], 20
    )
    (post,) = [p for p in posts_to(telegram, supergroup.id) if "mata gratis" in p["text"]]
    assert "reply_markup" not in post
    (message,) = [
        m
        for (chat_id, _), m in telegram.messages.items()
        if chat_id == SUPERGROUP_ID and "mata gratis" in m.get("text", "")
    ]
    assert message["chat"] == {
        "id": SUPERGROUP_ID,
        "type": "supergroup",
        "title": GROUP.title,
    }
    assert telegram.refusals == []
    assert links(settings) == [(str(SUPERGROUP_ID), GROUP.title, FISHERMEN_CODE, 1)]


async def test_a_post_to_the_old_id_of_an_upgraded_group_is_sent_again_to_the_new_id(
    telegram: FakeTelegram, linked: FakeGroupChat, settings: Settings
) -> None:
    telegram.migrate(linked, SUPERGROUP_ID, by=KADER, announce=False)  # not heard of it yet
    await broadcast(telegram, "Pemeriksaan mata gratis hari Sabtu")
    await telegram.wait_for(
        lambda: group_posts(settings) == [(str(SUPERGROUP_ID), "broadcast", "sent")], 20
    )
    assert [(r.chat_id, r.status, r.description) for r in telegram.refusals] == [
        (GROUP.id, 400, UPGRADED)
    ]
    (post,) = posts_to(telegram, SUPERGROUP_ID)
    assert "Pemeriksaan mata gratis" in post["text"]
    assert links(settings) == [(str(SUPERGROUP_ID), GROUP.title, FISHERMEN_CODE, 1)]
    telegram.announce_migration(linked, by=KADER)  # the late news changes nothing
    await telegram.wait_for(
        lambda: count_in(telegram, SUPERGROUP_ID, "Grup ini terhubung dengan Pos UKK Nelayan") == 1
    )
    assert links(settings) == [(str(SUPERGROUP_ID), GROUP.title, FISHERMEN_CODE, 1)]


async def test_an_upgraded_group_linked_again_under_its_new_id_is_not_retried_forever(
    telegram: FakeTelegram, linked: FakeGroupChat, bot: RunningBot
) -> None:
    """The kader links the supergroup before the bot handles the migration (the bot's join of
    the supergroup may be handled before the service message, and then it asks for /hubungkan)."""
    supergroup = telegram.migrate(linked, SUPERGROUP_ID, by=KADER, announce=False)
    await say_in_group(telegram, KADER, supergroup, "/hubungkan", "sekarang terhubung")
    await add_activity(bot.settings, "Senam pagi bersama", "all")
    again = await restart(bot, reminders="2h")
    try:
        await telegram.wait_for(lambda: count_in(telegram, SUPERGROUP_ID, "Senam pagi") == 1, 20)
        await telegram.wait_for(
            lambda: [status for *_, status in group_posts(bot.settings)].count("pending") == 0,
            4,
        )
    finally:
        await again.shutdown()
    assert count_in(telegram, SUPERGROUP_ID, "Senam pagi") == 1


async def test_a_button_press_in_a_group_chat_is_answered_and_ignored(
    telegram: FakeTelegram, linked: FakeGroupChat
) -> None:
    posted = telegram.last_message_to(linked.id)
    forged = {**posted, "reply_markup": {"inline_keyboard": [[
        {"text": "Menu", "callback_data": "cmd:menu"}
    ]]}}  # fmt: skip
    calls = len(telegram.calls)
    telegram.press(KADER, forged, "cmd:menu")
    await telegram.wait_for(lambda: bool(telegram.sent(method="answerCallbackQuery")))
    # Something the bot does answer, after the press: had the press done anything, it would
    # have done it by now.
    await say_in_group(telegram, KADER, linked, "/bantuan", "Grup ini terhubung")
    done = telegram.calls[calls:]
    assert [c.method for c in done] == ["answerCallbackQuery", "sendMessage"], "no edit, no menu"
    assert "Grup ini terhubung" in done[-1].params["text"]


# -- pacing -----------------------------------------------------------------------------------
async def test_posts_to_one_group_chat_are_paced_below_telegrams_limit(
    telegram: FakeTelegram, settings: Settings, seeded: None
) -> None:
    interval = Settings.model_fields["telegram_per_group_chat_interval"].default
    assert interval == 3.0, "20 messages a minute, Telegram's limit for one group"
    running = await start_bot(
        settings.model_copy(update={"telegram_per_group_chat_interval": interval})
    )
    try:
        await link(telegram, GROUP)
        # The second is queued well within 3 seconds of the first post: only the pacing keeps
        # the two posts apart.
        await broadcast(telegram, "Siaran pertama")
        await broadcast(telegram, "Siaran kedua")
        await telegram.wait_for(
            lambda: group_posts(settings) == [(str(GROUP.id), "broadcast", "sent")] * 2, 30
        )
    finally:
        await running.shutdown()
    posts = telegram.sent(GROUP.id, "sendMessage")[-2:]
    assert ["Siaran pertama" in c.params["text"] for c in posts] == [True, False]
    assert ["Siaran kedua" in c.params["text"] for c in posts] == [False, True]
    assert posts[1].at - posts[0].at >= interval - 0.1
    assert [r for r in telegram.refusals if r.status == 429] == []


# -- the fake itself --------------------------------------------------------------------------
async def test_the_fake_refuses_what_telegram_refuses_in_group_chats(
    telegram: FakeTelegram,
) -> None:
    """The other tests' "no refusals" mean something only if the fake does refuse."""
    never = FakeGroupChat(-4100, "Belum ada bot")
    telegram.group_chats[never.id] = never
    left = FakeGroupChat(-4200, "Bot keluar")
    old = FakeGroupChat(-4300, "Jadi supergroup")
    busy = FakeGroupChat(-4400, "Ramai")
    for chat in (left, old, busy):
        telegram.add_bot(chat, by=KADER)
    telegram.remove_bot(left, by=KADER)
    new = telegram.migrate(old, -1004300, by=KADER)
    async with Bot(TOKEN, base_url=telegram.base_url, request=AiohttpRequest()) as bot:
        for chat in (never, left):
            with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
                await bot.send_message(chat.id, "halo")
        with pytest.raises(ChatMigrated) as migrated:
            await bot.send_message(old.id, "halo")
        assert migrated.value.new_chat_id == new.id
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(-4999, "halo")
        sent = await bot.send_message(new.id, "halo")
        assert (sent.chat.type, sent.chat.title) == ("supergroup", old.title)
        for n in range(20):
            await bot.send_message(busy.id, f"pesan {n}")
        with pytest.raises(RetryAfter):
            await bot.send_message(busy.id, "satu lagi")
    assert [r.status for r in telegram.refusals] == [403, 403, 400, 400, 429]
    assert telegram.refusals[2].parameters == {"migrate_to_chat_id": new.id}
    assert KICKED in telegram.refusals[0].description


async def test_the_fake_delivers_only_the_updates_asked_for(telegram: FakeTelegram) -> None:
    telegram.add_bot(GROUP, by=KADER)
    telegram.send_text(KADER, "halo")
    async with Bot(TOKEN, base_url=telegram.base_url, request=AiohttpRequest()) as bot:
        updates = await bot.get_updates(allowed_updates=["message", "callback_query"])
        assert [u.message.text if u.message else None for u in updates] == ["halo"]
        again = await bot.get_updates(offset=0)  # the setting is kept, as Telegram does
        assert [u.my_chat_member for u in again] == [None]
        everything = await bot.get_updates(offset=0, allowed_updates=[])
        assert everything[0].my_chat_member is not None
        assert everything[0].my_chat_member.chat.title == GROUP.title
