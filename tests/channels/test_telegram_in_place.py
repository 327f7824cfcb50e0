"""A press on the chat's newest message is answered in that message: one edit keeps the question,
the choice and the answer, with the answer's buttons. An older message, a picture, a restart, a
second tap, or Telegram refusing the edit take the other ways, and the answer always arrives."""

from __future__ import annotations

import pytest

from bot.base.settings import Settings
from tests.channels.conftest import KADER, RunningBot, start_bot
from tests.channels.test_telegram_inbox import RETRY, first_aid_buttons, menu_message
from tests.fakes.telegram_api import FakeTelegram, Fault

NEXT = "\n\n➡️ Langkah berikut\n\n"
FIRST_AID = "\n\n➡️ Pertolongan pertama\n\n"


def methods_since(telegram: FakeTelegram, start: int) -> list[str]:
    """The Bot API methods called since the `start`-th call (acknowledgements name no chat)."""
    return [call.method for call in telegram.calls[start:]]


async def first_aid_answered_below(telegram: FakeTelegram, menu: dict[str, object]) -> None:
    """ "Pertolongan pertama" pressed in `menu`: retired (an edit), the answer sent below it."""
    before = len(telegram.calls)
    telegram.press(KADER, menu, "cmd:p3k")
    await telegram.wait_for(lambda: "Pilih jenis cedera" in telegram.texts_to(KADER.id)[-1])
    assert methods_since(telegram, before) == [
        "answerCallbackQuery", "editMessageText", "sendMessage"
    ]  # fmt: skip


async def test_a_press_on_the_newest_message_is_answered_in_it(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    menu = await first_aid_buttons(telegram)
    question, before = str(menu["text"]), len(telegram.calls)
    telegram.press(KADER, menu, "fa:next")
    await telegram.wait_for(lambda: "Langkah 2 dari" in str(menu["text"]))
    assert methods_since(telegram, before) == ["answerCallbackQuery", "editMessageText"]
    assert str(menu["text"]).startswith(question + NEXT), "the question and the choice stay"
    assert ("Langkah berikut", "fa:next") in telegram.buttons(menu), "the answer's buttons"
    telegram.press(KADER, menu, "fa:next")  # the answer's button, in the same message
    await telegram.wait_for(lambda: "Langkah 3 dari" in str(menu["text"]))
    assert str(menu["text"]).count("➡️") == 2
    assert methods_since(telegram, before).count("sendMessage") == 0


async def test_a_press_on_an_older_message_is_retired_and_answered_below(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    older = await menu_message(telegram)
    newest = await menu_message(telegram)
    await first_aid_answered_below(telegram, older)
    assert str(older["text"]).endswith("➡️ Pertolongan pertama")
    assert telegram.buttons(older) == []
    assert "➡️" not in str(newest["text"]), "the newest message is left as it was"


async def test_a_message_sent_before_a_restart_is_not_known_to_be_the_newest(
    telegram: FakeTelegram, bot: RunningBot, settings: Settings
) -> None:
    menu = await menu_message(telegram)
    await bot.shutdown()
    restarted = await start_bot(settings)
    try:
        await first_aid_answered_below(telegram, menu)
        answer = telegram.last_message_to(KADER.id)
        before = len(telegram.calls)
        telegram.press(KADER, answer, telegram.buttons(answer)[0][1])  # sent since the restart
        await telegram.wait_for(lambda: "➡️" in str(answer["text"]))
        assert methods_since(telegram, before) == ["answerCallbackQuery", "editMessageText"]
    finally:
        await restarted.shutdown()


async def test_a_picture_in_the_answer_is_sent_below_the_retired_message(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    menu = await first_aid_buttons(telegram)
    telegram.press(KADER, menu, "fa:card")
    await telegram.wait_for(lambda: bool(telegram.sent(KADER.id, "sendPhoto")))
    assert str(menu["text"]).endswith("➡️ Simpan kartu")
    assert telegram.buttons(menu) == []


async def test_a_second_tap_on_a_message_answered_in_place_leaves_the_answer(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    menu = await menu_message(telegram)
    telegram.press(KADER, menu, "cmd:p3k")
    telegram.press(KADER, menu, "cmd:p3k")  # before the first is answered: the same old menu
    await telegram.wait_for(
        lambda: any("sudah tidak berlaku" in t for t in telegram.texts_to(KADER.id))
    )
    assert FIRST_AID + "Pilih jenis cedera" in str(menu["text"]), "the first answer stays"
    assert telegram.buttons(menu), "with its buttons"
    stale = telegram.last_message_to(KADER.id)
    assert "sudah tidak berlaku" in str(stale["text"]), "the second tap is answered below"


@pytest.mark.parametrize(
    "fault",
    [
        Fault("answerCallbackQuery", 429, RETRY, retry_after=1),
        Fault("editMessageText", 429, RETRY, retry_after=1),
        Fault("editMessageText", 502, "Bad Gateway"),
    ],
    ids=lambda fault: f"{fault.method}-{fault.status}",
)
async def test_an_answer_in_place_arrives_whatever_telegram_answers_around_it(
    telegram: FakeTelegram, bot: RunningBot, fault: Fault
) -> None:
    """An edit refused for now goes to the outbox, which edits the message a little later."""
    menu = await first_aid_buttons(telegram)
    question = str(menu["text"])
    telegram.faults.append(fault)
    telegram.press(KADER, menu, "fa:next")
    await telegram.wait_for(lambda: "Langkah 2 dari" in str(menu["text"]), within=15)
    assert fault not in telegram.faults, "the fault was met"
    assert str(menu["text"]).startswith(question + NEXT)
    assert sum("Langkah 2 dari" in t for t in telegram.texts_to(KADER.id)) == 1


async def test_an_edit_refused_for_good_is_sent_as_a_new_message(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    """The message is gone (deleted by the person): the question, the choice and the answer come
    as a new message."""
    menu = await first_aid_buttons(telegram)
    question = str(menu["text"])
    telegram.faults.append(Fault("editMessageText", 400, "Bad Request: message to edit not found"))
    telegram.press(KADER, menu, "fa:next")
    await telegram.wait_for(lambda: "Langkah 2 dari" in telegram.texts_to(KADER.id)[-1])
    sent = telegram.last_message_to(KADER.id)
    assert str(sent["text"]).startswith(question + NEXT)
    assert ("Langkah berikut", "fa:next") in telegram.buttons(sent)
    assert str(menu["text"]) == question
