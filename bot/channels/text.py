"""Text handling shared by the chat-app adapters."""

from __future__ import annotations

from bot.base.models import MAX_CAPTION_CHARS, MAX_TEXT_CHARS, Reply


def split_text(text: str, limit: int) -> list[str]:
    """Cut a long text into pieces of at most `limit` characters, at line breaks where possible."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    chunks.append(text)
    return [chunk for chunk in chunks if chunk]


def clean_text(text: str) -> str:
    """A text as a person sent it, made safe to keep: cut to the platforms' 4096 characters
    (as WhatsApp does), and lone surrogates (which no database can store) replaced."""
    return text[:MAX_TEXT_CHARS].encode("utf-8", "replace").decode("utf-8")


def captioned(reply: Reply) -> bool:
    """Whether `reply` goes as one picture with its text as the caption (a first-aid card)."""
    return bool(
        reply.photo
        and reply.caption
        and len(reply.text) <= MAX_CAPTION_CHARS
        and not reply.choices
        and not reply.request
    )
