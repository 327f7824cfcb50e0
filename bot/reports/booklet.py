"""The printed first-aid booklet for a Pos UKK's box: A5, a cover, the contents, one topic per
page, and the emergency numbers on the back.

Built from the same words as the cards (`bot.reports.cards.card_text`) plus each topic's "when
to refer", with fpdf2 and the DejaVu Sans font. A topic's page is drawn at the largest type
size (from 11 pt down to 7) at which fpdf2's own text wrapping fits it on the page, so every
topic keeps to its page and the contents' page numbers are known before drawing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from bot.base.texts import Texts
from bot.reports.cards import DESIGN as CARD_DESIGN
from bot.reports.cards import URGENCY_COLOUR, CardText, EmergencyNumbers, card_text
from bot.reports.fonts import font_path
from bot.reports.printed import cached_pages, design_digest
from bot.storage.records import Group
from content.knowledge import Knowledge, pick
from content.schema import Category, Sector, Topic, Urgency

A5 = (148.0, 210.0)
MARGIN = 12.0
"""Millimetres, on every side."""
FONT = "DejaVu"
SIZES = (11.0, 10.0, 9.0, 8.0, 7.0)
"""Body type sizes tried for a topic's page, largest first."""
CONTENTS_PER_PAGE = 28
POINT = 0.3528
"""Millimetres in a typographic point."""
STEP_INDENT = 7.0
CATEGORY_ORDER = (
    Category.EMERGENCY,
    Category.WOUNDS,
    Category.SEA,
    Category.PLANTATION_ANIMALS,
    Category.CHEMICALS,
    Category.HEAT_COLD,
)
INK = (24, 24, 24)
GREY = (90, 90, 90)
WHITE = (255, 255, 255)
NAVY = (21, 47, 84)
DANGER = (176, 18, 18)
DANGER_FILL = (253, 231, 231)


@dataclass(frozen=True)
class TopicPage:
    card: CardText
    refer: str


@dataclass(frozen=True)
class BookletText:
    """Everything the booklet says, in one language."""

    title: str
    subtitle: str
    group: str
    """The group's name, or empty."""
    has_puskesmas: bool
    write_puskesmas: str
    """A line to write the Puskesmas number on, when it is not known."""
    contents: str
    page: str
    """With {number}."""
    refer_heading: str
    back_heading: str
    back_note: str
    numbers_heading: str
    numbers: tuple[tuple[str, str], ...]
    topics: tuple[TopicPage, ...]


def booklet_topics(topics: Sequence[Topic], sector: Sector | None, language: str) -> list[Topic]:
    """The topics of a trade (all of them for None), emergencies first, then by category."""
    chosen = [t for t in topics if sector is None or sector in t.sectors]
    return sorted(chosen, key=lambda t: (CATEGORY_ORDER.index(t.category), pick(t.title, language)))


def booklet_text(
    texts: Texts,
    language: str,
    topics: Sequence[Topic],
    sector: Sector | None,
    numbers: EmergencyNumbers,
    group_name: str | None = None,
) -> BookletText:
    def t(key: str, **params: object) -> str:
        return texts.get(language, f"booklet.{key}", **params)

    wording = sector or Sector.GENERAL
    pages = tuple(
        TopicPage(card_text(texts, language, topic, wording, numbers), pick(topic.refer, language))
        for topic in booklet_topics(topics, sector, language)
    )
    any_card = pages[0].card
    return BookletText(
        title=t("title"),
        subtitle=t(f"sector_{sector.value if sector else 'semua'}"),
        group=group_name or "",
        has_puskesmas=bool(numbers.puskesmas_phone),
        write_puskesmas=t("write_puskesmas"),
        contents=t("contents"),
        page=texts.get(language, "booklet.page"),
        refer_heading=t("refer"),
        back_heading=t("back"),
        back_note=t("back_note"),
        numbers_heading=any_card.numbers_heading,
        numbers=any_card.numbers,
        topics=pages,
    )


class _Booklet(FPDF):
    def __init__(self, page_label: str) -> None:
        super().__init__(format=A5)
        self.page_label = page_label
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 4)
        self.add_font(FONT, "", str(font_path()))
        self.add_font(FONT, "B", str(font_path(bold=True)))
        self.c_margin = 0

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-MARGIN)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.page_label.format(number=self.page_no()), align="C")


def build(booklet: BookletText) -> bytes:
    """The booklet as PDF."""
    pdf = _Booklet(booklet.page)
    contents_pages = math.ceil(len(booklet.topics) / CONTENTS_PER_PAGE)
    first_topic_page = 2 + contents_pages
    _cover(pdf, booklet)
    for start in range(0, len(booklet.topics), CONTENTS_PER_PAGE):
        _contents(pdf, booklet, start, first_topic_page)
    for page in booklet.topics:
        _topic(pdf, booklet, page)
    _back(pdf, booklet)
    return bytes(pdf.output())


class _Pen:
    """Writes text down the page, or with `dry` only measures how far down it would go."""

    def __init__(self, pdf: FPDF, *, dry: bool = False) -> None:
        self.pdf = pdf
        self.dry = dry
        self.height = 0.0

    def text(self, size: float, text: str, *, bold: bool = False, colour: tuple[int, ...] = INK,
             height: float = 1.3, indent: float = 0.0, fill: bool = False) -> None:  # fmt: skip
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.set_text_color(*colour)
        pdf.set_x(MARGIN + indent)
        line = size * height * POINT
        if self.dry:
            measured = pdf.multi_cell(
                pdf.epw - indent, line, text, align="L", dry_run=True,
                output=MethodReturnValue.HEIGHT,
            )  # fmt: skip
            assert isinstance(measured, float | int), "HEIGHT is a number"
            self.height += measured
            return
        pdf.multi_cell(pdf.epw - indent, line, text, align="L", fill=fill,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip

    def numbered(self, size: float, number: int, text: str) -> None:
        """A step: its number in bold, its text beside it."""
        if not self.dry:
            self.pdf.set_font(FONT, "B", size)
            self.pdf.set_text_color(*INK)
            self.pdf.set_x(MARGIN)
            line = size * 1.3 * POINT
            self.pdf.cell(STEP_INDENT, line, f"{number}.", new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.text(size, text, indent=STEP_INDENT)

    def gap(self, height: float) -> None:
        if self.dry:
            self.height += height
        else:
            self.pdf.ln(height)


def _text(pdf: FPDF, size: float, text: str, *, bold: bool = False, colour: tuple[int, ...] = INK,
          height: float = 1.3, indent: float = 0.0) -> None:  # fmt: skip
    _Pen(pdf).text(size, text, bold=bold, colour=colour, height=height, indent=indent)


def _numbers(pdf: FPDF, booklet: BookletText, size: float, *, heading: bool = True) -> None:
    """The emergency numbers, white on a dark box measured to fit them."""

    def write(pen: _Pen) -> None:
        pen.gap(3)
        if heading:
            pen.text(size * 0.8, booklet.numbers_heading, colour=WHITE, indent=3)
        for number, whose in booklet.numbers:
            pen.text(size, f"{number}   {whose}", bold=True, colour=WHITE, indent=3, height=1.5)
        pen.gap(3)

    measure = _Pen(pdf, dry=True)
    write(measure)
    pdf.set_fill_color(*NAVY)
    pdf.rect(MARGIN, pdf.get_y(), pdf.epw, measure.height, style="F")
    write(_Pen(pdf))
    pdf.ln(3)


def _cover(pdf: FPDF, booklet: BookletText) -> None:
    pdf.add_page()
    pdf.set_fill_color(*URGENCY_COLOUR[Urgency.GAWAT])
    pdf.rect(0, 0, pdf.w, 14, style="F")
    pdf.set_y(30)
    _text(pdf, 26, booklet.title, bold=True)
    pdf.ln(4)
    _text(pdf, 15, booklet.subtitle, colour=GREY)
    if booklet.group:
        pdf.ln(6)
        _text(pdf, 14, booklet.group, bold=True)
    pdf.set_y(pdf.h - 80)
    _numbers(pdf, booklet, 14)


def _contents(pdf: FPDF, booklet: BookletText, start: int, first_topic_page: int) -> None:
    pdf.add_page()
    _text(pdf, 16, booklet.contents, bold=True)
    pdf.ln(3)
    pdf.set_font(FONT, "", 10.5)
    pdf.set_text_color(*INK)
    for number, page in enumerate(booklet.topics[start : start + CONTENTS_PER_PAGE], start):
        pdf.cell(pdf.epw - 12, 6, page.card.title, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.cell(12, 6, str(first_topic_page + number), align="R", new_x=XPos.LMARGIN,
                 new_y=YPos.NEXT)  # fmt: skip


def _topic(pdf: FPDF, booklet: BookletText, page: TopicPage) -> None:
    pdf.add_page()
    _draw_topic(_Pen(pdf), booklet.refer_heading, page, _fitting_size(page, booklet.refer_heading))


@cache
def _fitting_size(page: TopicPage, refer_heading: str) -> float:
    """The largest type size at which the topic fits its page. The room text takes grows with
    the square of its size, so the first measure tells which size to try next (fpdf2's wrapping
    is slow; and booklets of several trades share topics)."""
    pdf = _measuring_pdf()
    room = pdf.h - 2 * MARGIN - 6
    largest = _measure(pdf, refer_heading, page, SIZES[0])
    guess = SIZES[0] * (room / largest) ** 0.5
    for size in [s for s in SIZES if s <= guess]:
        if size == SIZES[0] or _measure(pdf, refer_heading, page, size) <= room:
            return size
    raise ValueError(f"{page.card.title!r} does not fit an A5 page even at {SIZES[-1]} pt")


@cache
def _measuring_pdf() -> FPDF:
    pdf = _Booklet("")
    pdf.add_page()
    return pdf


def _measure(pdf: FPDF, refer_heading: str, page: TopicPage, size: float) -> float:
    pen = _Pen(pdf, dry=True)
    _draw_topic(pen, refer_heading, page, size)
    return pen.height


def _draw_topic(pen: _Pen, refer_heading: str, page: TopicPage, size: float) -> None:
    card = page.card
    pen.pdf.set_fill_color(*URGENCY_COLOUR[card.urgency])
    pen.text(size, card.urgency_line, bold=True, colour=WHITE, fill=True, height=1.6)
    pen.gap(2)
    pen.text(size * 1.6, card.title, bold=True)
    pen.gap(1.5)
    pen.text(size, card.steps_heading, bold=True)
    for number, step in enumerate(card.steps, 1):
        pen.numbered(size, number, step)
        pen.gap(0.8)
    pen.gap(1.5)
    pen.pdf.set_fill_color(*DANGER_FILL)
    pen.text(size, card.danger_heading, bold=True, colour=DANGER, fill=True)
    for sign in card.danger:
        pen.text(size, f"•  {sign}", fill=True)
    pen.gap(1.5)
    pen.text(size, card.jangan_heading, bold=True)
    for item in card.jangan:
        pen.text(size, f"✗  {item}")
    pen.gap(1.5)
    pen.text(size, refer_heading, bold=True)
    pen.text(size, page.refer)
    pen.gap(1.5)
    pen.text(size * 0.75, card.sources, colour=GREY)


def _back(pdf: FPDF, booklet: BookletText) -> None:
    pdf.add_page()
    _text(pdf, 18, booklet.back_heading, bold=True)
    pdf.ln(4)
    _numbers(pdf, booklet, 16, heading=False)
    _text(pdf, 12, booklet.back_note)
    if not booklet.has_puskesmas:
        pdf.ln(6)
        _text(pdf, 13, booklet.write_puskesmas, bold=True)
    if booklet.group:
        pdf.ln(4)
        _text(pdf, 13, booklet.group, bold=True)


def cached_booklet(cache_dir: Path, booklet: BookletText) -> Path:
    """The booklet's PDF, built once per content and design (`bot.reports.printed`)."""
    what = {
        "booklet": asdict(booklet),
        "design": design_digest(Path(__file__), CARD_DESIGN),
    }
    (path,) = cached_pages(cache_dir, what, ".pdf", lambda: [build(booklet)])
    return path


def booklet_pdf(
    cache_dir: Path,
    texts: Texts,
    language: str,
    knowledge: Knowledge,
    sector: Sector | None,
    group: Group | None = None,
) -> Path:
    """The booklet of `sector`'s topics (every topic for None), with `group`'s name and
    Puskesmas number when given; 115 (Basarnas) is on it for fishers."""
    numbers = EmergencyNumbers.of(group, at_sea=sector is Sector.FISHING)
    topics = list(knowledge.topics.values())
    name = group.name if group else None
    return cached_booklet(cache_dir, booklet_text(texts, language, topics, sector, numbers, name))
