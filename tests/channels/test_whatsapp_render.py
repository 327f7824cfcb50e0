"""WhatsApp rendering within Meta's limits, and Cloud API errors as the delivery job sees them."""

from __future__ import annotations

import httpx
import pytest

from bot.base.models import Choice, Reply
from bot.base.texts import Texts
from bot.channels.whatsapp import (
    MAX_BODY,
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

MORE = "Pilihan lain / More choices:"


def choices(count: int, label: str = "Pilihan") -> tuple[Choice, ...]:
    return tuple(Choice(token=f"c:{n}", label=f"{label} {n}") for n in range(1, count + 1))


def test_up_to_three_short_choices_are_reply_buttons() -> None:
    assert plan(Reply(key="k", text="Ya?", choices=choices(3)), MORE) == [
        Outgoing("Ya?", buttons=choices(3))
    ]


def test_a_label_too_long_for_a_button_makes_a_list() -> None:
    long = (Choice(token="a", label="Sudah dibersihkan luka"), *choices(1))
    (message,) = plan(Reply(key="k", text="Apa?", choices=long), MORE)
    assert message.rows == long
    assert message.buttons == ()


def test_more_than_ten_choices_come_as_several_lists_of_ten() -> None:
    messages = plan(Reply(key="k", text="Pilih topik", choices=choices(23)), MORE)
    assert [len(m.rows) for m in messages] == [10, 10, 3]
    assert [m.text for m in messages] == ["Pilih topik", MORE, MORE]
    assert [c.token for m in messages for c in m.rows] == [c.token for c in choices(23)]


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


def test_the_list_labels_fit_whatsapp(texts: Texts) -> None:
    for language in texts.catalogs:
        assert len(texts.get(language, "whatsapp.list_button")) <= 20
        assert len(texts.get(language, "whatsapp.section_title")) <= 24


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
