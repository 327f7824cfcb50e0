"""Text handling shared by the chat-app adapters."""

from __future__ import annotations


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
