"""`posukk match` (try the triage) and `posukk content` (check topics, list what needs review,
print the booklet)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import textwrap
from collections.abc import Iterable
from typing import TextIO

from bot.app.arguments import ALL_SECTORS
from bot.app.errors import CommandError
from bot.base.settings import Settings
from bot.storage.records import Group
from content.evaluation import evaluate, load_cases
from content.knowledge import Knowledge
from content.loader import ContentError
from content.schema import Sector, Topic

REVIEW_WIDTH = 100


def run_match(knowledge: Knowledge, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> None:
    messages: Iterable[str] = (
        (line.rstrip("\r\n") for line in stdin) if args.text == "-" else [args.text]
    )
    matcher = knowledge.matcher
    for text in messages:
        triage = matcher.triage(text)
        if args.json:
            print(json.dumps(triage.as_json(), ensure_ascii=False), file=out, flush=True)
            continue
        print(f"pesan / message: {text}", file=out)
        if not triage.topics:
            print("  tidak ada topik yang cocok / no topic matches", file=out)
        for topic_id, score in zip(triage.topics, triage.scores, strict=True):
            topic = knowledge.topics[topic_id]
            print(f"  {score:6.3f}  {topic_id}  ({topic.title.id} / {topic.title.en})", file=out)
        urgency = triage.urgency.value.upper() if triage.urgency else "-"
        flag = "YA / YES" if triage.emergency else "tidak / no"
        print(f"  urgensi / urgency: {urgency}; darurat / emergency: {flag}", file=out)
        print(f"  tanda bahaya / danger signs: {', '.join(triage.danger_signs) or '-'}", file=out)
        if triage.general:
            print("  pertanyaan umum / general question: steps, no alarm", file=out)
        if triage.question is not None:
            print(
                f"  tanya dulu / ask first: {triage.question.id}: {triage.question.text.id}",
                file=out,
            )
        print(f"  konsep / concepts: {', '.join(triage.concepts) or '-'}", file=out)
        print(f"  disangkal / ruled out: {', '.join(triage.ruled_out) or '-'}", file=out)
        if triage.topics:
            why = matcher.explain(text, triage.topics[0])
            print(f"  kata kunci / keywords: {', '.join(why.keywords) or '-'}", file=out)
            print(
                f"  ciri terkuat / strongest features: {', '.join(why.features) or '-'}", file=out
            )
            print(f"  aturan / rules: {'; '.join(why.rules) or '-'}", file=out)


def run_content(knowledge: Knowledge, args: argparse.Namespace, out: TextIO) -> None:
    topics = knowledge.topics
    if args.action == "check":
        emergencies = sum(topic.always_emergency for topic in topics.values())
        review = sum(topic.needs_review for topic in topics.values())
        print(
            f"ok: {len(topics)} topics ({emergencies} always emergency, {review} need review)",
            file=out,
        )
        return
    if args.action == "evaluate":
        report = evaluate(knowledge.matcher, load_cases(args.path))
        print(report.summary(), file=out)
        if args.misses:
            for text, expected, got in report.misses:
                print(f"  miss: {text!r}: expected {expected}, got {got}", file=out)
            for text in report.missed_emergencies:
                print(f"  missed emergency: {text!r}", file=out)
            for text in report.false_alarms:
                print(f"  false alarm: {text!r}", file=out)
        return
    print_review_list(list(topics.values()), out, include_signed_off=args.all)


def print_review_list(topics: list[Topic], out: TextIO, *, include_signed_off: bool) -> None:
    """What a clinician needs to check, topic by topic: the open points and the sources to read.

    Topics marked `needs_review` come first; with `include_signed_off`, then the signed-off
    topics that still carry review notes.
    """
    pending = sorted((t for t in topics if t.needs_review), key=lambda t: t.id)
    noted = sorted((t for t in topics if not t.needs_review and t.review_notes), key=lambda t: t.id)
    print(
        f"Perlu diperiksa klinisi / Needs a clinician: {len(pending)} of {len(topics)} topics",
        file=out,
    )
    for topic in pending:
        _print_review_entry(topic, out)
    if include_signed_off:
        print(f"\nSudah diperiksa, dengan catatan / Signed off, with notes: {len(noted)}", file=out)
        for topic in noted:
            _print_review_entry(topic, out)


def _print_review_entry(topic: Topic, out: TextIO) -> None:
    def wrapped(text: str, first: str, rest: str) -> str:
        return textwrap.fill(
            text,
            REVIEW_WIDTH,
            initial_indent=first,
            subsequent_indent=rest,
            break_on_hyphens=False,
            break_long_words=False,
        )

    print(f"\n{topic.id}: {topic.title.id} / {topic.title.en}", file=out)
    print(f"  diperiksa / last reviewed: {topic.reviewed.isoformat()}", file=out)
    print("  periksa / to check:", file=out)
    print(wrapped(topic.review_notes or "-", "    ", "    "), file=out)
    print("  sumber / sources:", file=out)
    for number, source in enumerate(topic.sources, start=1):
        print(wrapped(f"{number}. {source.title}", "    ", "       "), file=out)
        print(f"       {source.url}", file=out)


def write_booklet(knowledge: Knowledge, settings: Settings, args: argparse.Namespace) -> None:
    """`posukk content booklet`: the A5 PDF for a Pos UKK's box, from the topic files."""
    from bot.base.texts import Texts
    from bot.reports.booklet import booklet_pdf

    group = asyncio.run(_group(settings, args.db, args.group)) if args.group else None
    sector = None if args.sector == ALL_SECTORS else Sector(args.sector)
    pdf = booklet_pdf(settings.cache_dir, Texts.load(), args.lang, knowledge, sector, group)
    try:
        args.out.write_bytes(pdf.read_bytes())
    except OSError as error:
        raise CommandError(f"cannot write {args.out}: {error.strerror}") from error
    print(f"ok: {args.out}", file=sys.stdout)


async def _group(settings: Settings, db: str | None, code: str) -> Group:
    from bot.storage.database import Database

    database = await Database.open(settings.database_at(db))
    try:
        async with database.unit_of_work() as uow:
            group = await uow.groups.by_code(code)
    finally:
        await database.close()
    if group is None:
        raise CommandError(f"no group with the code {code!r}")
    return group


def content_command(settings: Settings, args: argparse.Namespace) -> None:
    """`posukk match` and `posukk content`; a topic file that does not load is the error."""
    try:
        knowledge = Knowledge.load(settings.cache_dir)
        if args.command == "match":
            run_match(knowledge, args, sys.stdin, sys.stdout)
        elif args.action == "booklet":
            write_booklet(knowledge, settings, args)
        else:
            run_content(knowledge, args, sys.stdout)
    except ContentError as error:
        raise CommandError(str(error)) from error
