"""First aid without a signal: cards saved on the phone, and the printed booklet.

"Simpan kartu" under a first-aid answer sends that topic's card as a picture; `/kartu` sends a
pack (the sea pack, the plantation pack: the group's trade first); going to sea brings the
offer of the sea pack, at most once a month, to someone who has not saved it; `/buku` gives
kader and officers the booklet to print for the Pos UKK's box. Pictures and PDFs are drawn
after the commit (`ctx.rendered_after_commit`) and kept by content hash, so the second person
asking gets the same file at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.base.models import Choice, Reply
from bot.core.conversation import (
    Answer,
    Finish,
    Flow,
    Outcome,
    Retry,
    StartFlow,
    Step,
    StepContext,
)
from bot.domain.access import Action, allowed
from bot.reports.cards import EmergencyNumbers, cached_card, card_text
from bot.storage.attachments import keep_attachment
from content.knowledge import pick
from content.packs import Pack
from content.schema import Sector, Topic
from handlers.emergency import reader_sector

PACK_TOKEN = "pack:"
OFFER_EVERY = dt.timedelta(days=30)
SEA_PACK_SECTOR = Sector.FISHING
ALL_WORDS = ("semua", "all")


def topic_card(ctx: StepContext, topic: Topic, sector: Sector) -> Reply:
    """The card of `topic` for a reader of `sector`: one picture message per page, each with
    the title as its caption. Before the pictures are drawn (and after a crash meanwhile) it
    is the title alone."""
    at_sea = topic.at_sea or sector is Sector.FISHING
    card = card_text(
        ctx.texts, ctx.language, topic, sector, EmergencyNumbers.of(ctx.group, at_sea=at_sea)
    )
    reply = ctx.reply("cards.caption", title=card.title).model_copy(update={"caption": True})

    async def pictures(reply: Reply) -> list[Reply]:
        settings = ctx.settings
        pages = await asyncio.to_thread(cached_card, settings.cache_dir, card)
        done = []
        for number, page in enumerate(pages, 1):
            content = await asyncio.to_thread(page.read_bytes)
            kept = await keep_attachment(settings.data_dir, f"kartu-{topic.id}", ".png", content)
            text = reply.text
            if len(pages) > 1:
                text = ctx.t(
                    "cards.caption_part", title=card.title, number=number, total=len(pages)
                )
            done.append(reply.model_copy(update={"photo": kept, "text": text}))
        return done

    return ctx.rendered_after_commit(reply, pictures)


def save_card(ctx: StepContext, topic: Topic) -> list[Reply]:
    """ "Simpan kartu" under a first-aid answer: the card in the reader's own trade's words."""
    return [
        ctx.reply("cards.intro", title=pick(topic.title, ctx.language)),
        topic_card(ctx, topic, reader_sector(ctx)),
    ]


async def send_pack(ctx: StepContext, pack: Pack) -> list[Reply]:
    """A pack's cards, in its own trade's words, remembered as saved."""
    await ctx.uow.card_packs.saved(ctx.registered_user.id, pack.id, ctx.now)
    topics = [ctx.knowledge.topics[topic_id] for topic_id in pack.topics]
    intro = ctx.reply("cards.pack_intro", pack=pick(pack.title, ctx.language), count=len(topics))
    return [intro, *(topic_card(ctx, topic, pack.sector) for topic in topics)]


def packs_for(ctx: StepContext) -> list[Pack]:
    """Every pack, the one of the person's group's trade first."""
    packs = list(ctx.knowledge.packs.values())
    own = reader_sector(ctx)
    return sorted(packs, key=lambda pack: pack.sector is not own)


def _pack_named(ctx: StepContext, name: str) -> Pack | None:
    name = name.strip().lower()
    return next((p for p in ctx.knowledge.packs.values() if name in (p.id, p.sector.value)), None)


async def show_packs(ctx: StepContext, args: str) -> Outcome:
    """`/kartu`, or `/kartu laut` straight to a pack."""
    pack = _pack_named(ctx, args) if args else None
    if pack is not None:
        return Finish(await send_pack(ctx, pack))
    return StartFlow("cards")


async def ask_pack(ctx: StepContext) -> Reply:
    choices = [
        Choice(token=f"{PACK_TOKEN}{pack.id}", label=pick(pack.title, ctx.language))
        for pack in packs_for(ctx)
    ]
    return ctx.reply("cards.ask_pack", choices=choices)


async def take_pack(ctx: StepContext, answer: Answer) -> Outcome:
    chosen = answer.choice.removeprefix(PACK_TOKEN) if answer.choice else answer.text or ""
    pack = ctx.knowledge.packs.get(chosen) or _pack_named(ctx, chosen)
    if pack is None:
        return Retry(ctx.reply("common.pick_option"))
    return Finish(await send_pack(ctx, pack))


async def sea_pack_due(ctx: StepContext) -> Pack | None:
    """The sea pack, if it is time to offer it: not saved, not offered in the last month."""
    pack = ctx.knowledge.pack_for(SEA_PACK_SECTOR)
    if pack is None or ctx.user is None:
        return None
    state = await ctx.uow.card_packs.state(ctx.user.id, pack.id)
    if state.saved_at is not None:
        return None
    if state.offered_at is not None and ctx.now - state.offered_at < OFFER_EVERY:
        return None
    return pack


async def show_booklet(ctx: StepContext, args: str) -> Outcome:
    """`/buku [nelayan|sawit|semua]`: the booklet to print, by default of the person's group's
    trade; for their own group's trade it carries the group's name and Puskesmas number."""
    own = ctx.group if ctx.group and allowed(ctx.grants, Action.PRINT_BOOKLET, ctx.group) else None
    word = args.strip().lower()
    sector: Sector | None
    if not word:
        sector = own.sector if own and own.sector is not Sector.GENERAL else None
    elif word in ALL_WORDS:
        sector = None
    elif word in (Sector.FISHING.value, Sector.PLANTATION.value):
        sector = Sector(word)
    else:
        return Finish([ctx.reply("booklet.which")])
    group = own if own is not None and (not word or own.sector is sector) else None
    label = ctx.t(f"booklet.sector_{sector.value if sector else 'semua'}")
    reply = ctx.reply("booklet.sent", sector=label)
    texts, language, knowledge, settings = ctx.texts, ctx.language, ctx.knowledge, ctx.settings

    async def pdf(reply: Reply) -> Reply:
        from bot.reports.booklet import booklet_pdf  # fpdf2 (20 MB) only once a booklet is asked

        path = await asyncio.to_thread(
            booklet_pdf, settings.cache_dir, texts, language, knowledge, sector, group
        )
        content = await asyncio.to_thread(path.read_bytes)
        kept = await keep_attachment(settings.data_dir, "buku-p3k", ".pdf", content)
        return reply.model_copy(update={"document": kept})

    return Finish([ctx.rendered_after_commit(reply, pdf)])


FLOW = Flow(name="cards", first="pack", steps={"pack": Step(ask_pack, take_pack)})
