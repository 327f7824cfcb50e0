"""`posukk content review-list`: what a clinician reads to sign the topics off."""

from __future__ import annotations

import argparse
import io

from bot.app.content_commands import run_content
from content.knowledge import Knowledge


def review_list(knowledge: Knowledge, *, everything: bool = False) -> str:
    out = io.StringIO()
    run_content(knowledge, argparse.Namespace(action="review-list", all=everything), out)
    return out.getvalue()


def entry(listing: str, topic_id: str) -> str:
    """The block of one topic: from its heading to the next blank line."""
    start = listing.index(f"\n{topic_id}: ")
    end = listing.find("\n\n", start + 1)
    return listing[start : end if end != -1 else None]


def test_every_topic_to_review_comes_with_what_to_check_and_its_sources(
    knowledge: Knowledge,
) -> None:
    listing = review_list(knowledge)
    pending = [t for t in knowledge.topics.values() if t.needs_review]
    assert listing.startswith(f"Perlu diperiksa klinisi / Needs a clinician: {len(pending)} of ")
    for topic in pending:
        block = entry(listing, topic.id)
        assert topic.title.id in block
        assert f"last reviewed: {topic.reviewed.isoformat()}" in block
        # The notes are wrapped: compare them word for word.
        notes = block.split("to check:")[1].split("sumber / sources:")[0]
        assert notes.split() == topic.review_notes.split()
        for source in topic.sources:
            assert source.url in block
    for topic in knowledge.topics.values():
        if not topic.needs_review:
            assert f"\n{topic.id}: " not in listing


def test_signed_off_topics_with_notes_are_listed_on_request(knowledge: Knowledge) -> None:
    signed_off = [t for t in knowledge.topics.values() if not t.needs_review and t.review_notes]
    assert signed_off
    listing = review_list(knowledge, everything=True)
    assert f"Signed off, with notes: {len(signed_off)}" in listing
    for topic in signed_off:
        assert topic.review_notes.split()[0] in entry(listing, topic.id)
