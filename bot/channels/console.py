"""The terminal as a channel: a reply as text, with its choices as numbers, and a sender that
prints messages for other people marked with their recipient. The chat loop with its demo
personas is `bot.app.chat`."""

from __future__ import annotations

from collections.abc import Callable

from bot.base.models import Channel, Reply


def render(reply: Reply, indent: str = "") -> str:
    """A reply as terminal text: the message, then its choices as numbers."""
    lines = [f"[foto / photo: {reply.photo}]"] if reply.photo else []
    if reply.replaces:
        lines.append("(diperbarui / updated)")
    lines += reply.text.splitlines() or [""]
    lines += [f"  {number}. {choice.label}" for number, choice in enumerate(reply.choices, start=1)]
    if reply.request == "location":
        lines.append("  (ketik nama tempat / type the place)")
    elif reply.request == "contact":
        lines.append("  (ketik nomor HP / type the phone number)")
    if reply.document:
        lines.append(f"  [berkas / file: {reply.document}]")
    return "\n".join(indent + line for line in lines)


class ConsoleSender:
    """Messages for other people, printed inline and marked with their recipient."""

    channel = Channel.TERMINAL

    def __init__(self, say: Callable[[str], None], name_of: Callable[[str], str]) -> None:
        self.say = say
        self.name_of = name_of

    async def send(self, recipient: str, reply: Reply) -> str | None:
        persona = recipient.removeprefix("demo:")
        self.say(f">> pesan untuk {self.name_of(persona)} (/as {persona}):")
        self.say(render(reply, "   | ") + "\n")
        return None
