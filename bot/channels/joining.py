"""Fewer messages: a reply of plain text and the reply after it go out as one message.

The engine answers in steps (a first-aid card, then the next question); on a weak signal one
message arrives more surely than two, and each message is a call to the platform. Two replies are
joined only when nothing is lost: the first is plain text (no buttons, no request, no picture, no
document, no edit) and the second adds no picture and edits nothing, and together they fit.
Where the platform can edit, an edit of a message and the answer after it can be one edit too
(`edited_with`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.base.models import Reply

SEPARATOR = "\n\n"


def joined(replies: Sequence[Reply], limit: int) -> tuple[Reply, ...]:
    """`replies` with each joinable pair (and run) made one; order and content kept."""
    result: list[Reply] = []
    for reply in replies:
        if result and _joinable(result[-1], reply, limit):
            result[-1] = _join(result[-1], reply)
        else:
            result.append(reply)
    return tuple(result)


def edited_with(edit: Reply, replies: Sequence[Reply], limit: int) -> Reply | None:
    """`edit` (a message changed in place) with the answer after it (`replies`) added below, as
    one edit of that message; None unless the answer is one message an edit can show (text and
    buttons: no request, picture, document or edit of its own) and the two fit."""
    answer = joined(replies, limit)
    if len(answer) != 1:
        return None
    reply = answer[0]
    if not _editable(reply) or len(edit.text) + len(SEPARATOR) + len(reply.text) > limit:
        return None
    return _join(edit, reply).model_copy(update={"replaces": edit.replaces})


def _editable(reply: Reply) -> bool:
    """Text and buttons only: what an edit of a message can show."""
    return not (reply.request or reply.photo or reply.document or reply.replaces or reply.template)


def _plain(reply: Reply) -> bool:
    """Text alone: nothing that must stay at the end of its own message."""
    return not reply.choices and _editable(reply)


def _joinable(first: Reply, second: Reply, limit: int) -> bool:
    fits = len(first.text) + len(SEPARATOR) + len(second.text) <= limit
    return _plain(first) and not (second.photo or second.replaces or second.template) and fits


def _join(first: Reply, second: Reply) -> Reply:
    """`second` with `first`'s text before its own; the key names both."""
    text = SEPARATOR.join(part for part in (first.text, second.text) if part)
    return second.model_copy(update={"key": f"{first.key}+{second.key}", "text": text})
