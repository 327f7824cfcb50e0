"""An edit of the pressed message and the answer after it become one edit only when the answer is
one message an edit can show, and the two fit."""

from __future__ import annotations

import pytest

from bot.base.models import Choice, Reply
from bot.channels.joining import edited_with

LIMIT = 100
PRESSED = Reply(key="pressed", text="Menu\n\n➡️ Pertolongan pertama", replaces="41")
LIST = Reply(
    key="fa.categories",
    text="Pilih jenis cedera:",
    choices=(Choice(token="cat:luka", label="Luka"),),
)


def test_the_answer_is_added_below_the_choice_with_its_buttons() -> None:
    one = edited_with(PRESSED, [LIST], LIMIT)
    assert one is not None
    assert one.text == "Menu\n\n➡️ Pertolongan pertama\n\nPilih jenis cedera:"
    assert (one.replaces, one.choices, one.key) == ("41", LIST.choices, "pressed+fa.categories")


def test_a_card_and_its_next_question_are_one_answer_and_so_one_edit() -> None:
    card = Reply(key="fa.card", text="Tekan lukanya.")
    one = edited_with(PRESSED, [card, LIST], LIMIT)
    assert one is not None
    assert one.text.endswith("\n\nTekan lukanya.\n\nPilih jenis cedera:")


@pytest.mark.parametrize(
    "answer",
    [
        [LIST.model_copy(update={"text": "x" * (LIMIT - len(PRESSED.text) - 1)})],  # too long
        [LIST.model_copy(update={"photo": "photos/a.jpg"})],
        [LIST.model_copy(update={"document": "export.csv"})],
        [Reply(key="ask", text="Kirim lokasi", request="location", request_label="Lokasi")],
        [LIST.model_copy(update={"replaces": "7"})],  # an edit of its own
        [LIST, Reply(key="more", text="Lagi")],  # two messages: the buttons stay on the first
        [],
    ],
    ids=["too-long", "photo", "document", "request", "edit", "two-messages", "none"],
)
def test_what_an_edit_cannot_show_is_not_joined(answer: list[Reply]) -> None:
    assert edited_with(PRESSED, answer, LIMIT) is None
