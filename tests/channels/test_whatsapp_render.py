"""WhatsApp rendering within Meta's limits, and Cloud API errors as the delivery job sees them."""

from __future__ import annotations

import httpx
import pytest

from bot.base.models import Choice, Reply
from bot.base.texts import Texts
from bot.channels.whatsapp import (
    MAX_BODY,
    MAX_ROW_TITLE,
    GraphRedirect,
    Outgoing,
    delivery_error,
    plan,
)
from bot.core.outbound import (
    NeedsTemplate,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    Unreachable,
)

MORE = "Pilihan lain:"


def choices(count: int, label: str = "Pilihan") -> tuple[Choice, ...]:
    return tuple(Choice(token=f"c:{n}", label=f"{label} {n}") for n in range(1, count + 1))


def test_up_to_three_short_choices_are_reply_buttons() -> None:
    assert plan(Reply(key="k", text="Ya?", choices=choices(3)), MORE) == [
        Outgoing("Ya?", buttons=choices(3))
    ]


def test_a_label_too_long_for_a_button_makes_a_list_of_numbered_rows() -> None:
    long = (Choice(token="a", label="Dibersihkan pakai air"), *choices(1))
    (message,) = plan(Reply(key="k", text="Apa?", choices=long), MORE)
    assert [(c.token, c.label) for c in message.rows] == [
        ("a", "1. Dibersihkan pakai air"),
        ("c:1", "2. Pilihan 1"),
    ]
    assert message.buttons == ()


def test_more_than_ten_choices_come_as_several_lists_of_ten_numbered_throughout() -> None:
    messages = plan(Reply(key="k", text="Pilih topik", choices=choices(23)), MORE)
    assert [len(m.rows) for m in messages] == [10, 10, 3]
    assert [m.text for m in messages] == ["Pilih topik", MORE, MORE]
    assert [c.token for m in messages for c in m.rows] == [c.token for c in choices(23)]
    assert [c.label for c in messages[2].rows] == [
        "21. Pilihan 21",
        "22. Pilihan 22",
        "23. Pilihan 23",
    ]


def test_a_numbered_row_is_cut_to_whatsapps_row_title_limit() -> None:
    widest = tuple(Choice(token=f"w:{n}", label="x" * 24) for n in range(12))
    rows = [c.label for m in plan(Reply(key="k", text="?", choices=widest), MORE) for c in m.rows]
    assert all(len(label) <= MAX_ROW_TITLE for label in rows)
    assert rows[11] == "12. " + "x" * 19 + "…"


def test_a_long_text_with_buttons_keeps_the_buttons_under_a_short_body() -> None:
    text = "\n".join(f"Langkah {n}: cuci luka dengan air bersih mengalir." for n in range(120))
    messages = plan(Reply(key="k", text=text, choices=choices(2)), MORE)
    assert all(len(m.text) <= 4096 for m in messages)
    assert len(messages[-1].text) <= MAX_BODY
    assert messages[-1].buttons == choices(2)
    assert "\n".join(m.text for m in messages).split() == text.split(), "nothing lost"


def test_a_location_request_is_its_own_message_before_the_choices() -> None:
    reply = Reply(key="k", text="Di mana?", choices=choices(1), request="location")
    assert plan(reply, MORE) == [
        Outgoing("Di mana?", location_request=True),
        Outgoing(MORE, buttons=choices(1)),
    ]
    alone = plan(Reply(key="k", text="Di mana?", request="location"), MORE)
    assert alone == [Outgoing("Di mana?", location_request=True)]


def test_plain_text_is_cut_below_4096() -> None:
    messages = plan(Reply(key="k", text="kata " * 2000), MORE)
    assert len(messages) == 3
    assert all(len(m.text) <= 4096 and not m.buttons and not m.rows for m in messages)


def test_the_list_labels_fit_whatsapp_and_speak_one_language(texts: Texts) -> None:
    for language in texts.catalogs:
        assert len(texts.get(language, "whatsapp.list_button")) <= 20
        assert len(texts.get(language, "whatsapp.section_title")) <= 24
        for key in ("list_button", "section_title", "more_choices"):
            assert "/" not in texts.get(language, f"whatsapp.{key}"), "one language per person"
    assert texts.get("id", "whatsapp.list_button") != texts.get("en", "whatsapp.list_button")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (131047, NeedsTemplate),
        (130429, RetryLater),
        (131056, TemporaryFailure),
        (131026, Unreachable),
        (131000, TemporaryFailure),
        (131009, PermanentFailure),
        (100, PermanentFailure),
    ],
)
def test_cloud_api_errors_map_onto_delivery_outcomes(code: int, expected: type) -> None:
    error = delivery_error(code, "x")
    assert type(error) is expected
    if not isinstance(error, RetryLater):
        assert str(code) in str(error)


async def test_graph_requests_go_to_the_configured_address() -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url} host={request.headers['Host']}")
        return httpx.Response(200, json={})

    transport = GraphRedirect("http://127.0.0.1:9999/fake", httpx.MockTransport(record))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("https://graph.facebook.com/v23.0/123/messages?x=1", json={})
        await client.get("https://lookaside.fbsbx.com/media/1")
    assert seen == [
        "http://127.0.0.1:9999/fake/v23.0/123/messages?x=1 host=127.0.0.1:9999",
        "https://lookaside.fbsbx.com/media/1 host=lookaside.fbsbx.com",
    ]
