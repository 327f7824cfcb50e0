"""A first-aid card as a phone-sized picture, to keep in the gallery and open without a signal.

One topic, in one language and one trade's wording: the urgency as a coloured band with an icon,
the title, the numbered steps (the first one marked), the danger signs, what never to do, and
the emergency numbers. 1080 px wide and at most 2400 px high (a phone screen); a topic that does
not fit goes on a second picture, split between two items, never inside one. Pillow wraps the
text (`ImageText.Text.wrap`, which refuses to cut a word); `layout` places every text box first,
so the tests can measure them, and `draw` paints the page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageText

from bot.base.texts import Texts
from bot.reports.fonts import font_path
from bot.reports.printed import cached_pages, design_digest
from bot.storage.records import Group
from content.knowledge import pick
from content.schema import Sector, Topic, Urgency

DESIGN = Path(__file__)
"""This drawing code: a change to it draws every card anew (`bot.reports.printed`)."""
WIDTH = 1080
MAX_HEIGHT = 2400
MARGIN = 56
GAP = 20
PAD = 24
"""Inside a coloured box, around its text."""
LINE_SPACING = 8
DISC = 58
"""The diameter of a step's number."""
INDENT = DISC + 24
ICON = 88
PALETTE_COLOURS = 48
"""A card is a few flat colours and anti-aliased text: a palette PNG keeps it small."""

INK = (24, 24, 24)
GREY = (90, 90, 90)
WHITE = (255, 255, 255)
NAVY = (21, 47, 84)
FIRST_STEP = (255, 243, 196)
DANGER_FILL = (253, 231, 231)
DANGER_INK = (176, 18, 18)
JANGAN_FILL = (238, 238, 238)
URGENCY_COLOUR = {
    Urgency.GAWAT: (198, 40, 40),
    Urgency.SEGERA: (214, 87, 0),
    Urgency.RAWAT: (46, 125, 50),
}
URGENCY_MARK = {Urgency.GAWAT: "!", Urgency.SEGERA: "!", Urgency.RAWAT: "+"}


class Kind(StrEnum):
    """What a text box on a card is."""

    URGENCY = "urgency"
    TITLE = "title"
    PAGE = "page"
    HEADING = "heading"
    NUMBER = "number"
    STEP = "step"
    DANGER = "danger"
    JANGAN = "jangan"
    NUMBERS = "numbers"
    SOURCES = "sources"


@dataclass(frozen=True)
class EmergencyNumbers:
    """Who to call: 119 and 112 always, 115 (Basarnas) at sea, the group's Puskesmas when set."""

    at_sea: bool
    puskesmas_name: str | None = None
    puskesmas_phone: str | None = None

    @classmethod
    def of(cls, group: Group | None, *, at_sea: bool) -> EmergencyNumbers:
        """The numbers for a reader of `group` (none: the national ones only)."""
        if group is None or not group.puskesmas_phone:
            return cls(at_sea)
        return cls(at_sea, group.puskesmas_name, group.puskesmas_phone)


@dataclass(frozen=True)
class CardText:
    """Everything a card says, in its reader's language: from the topic file and the catalog."""

    urgency: Urgency
    urgency_line: str
    title: str
    steps_heading: str
    steps: tuple[str, ...]
    danger_heading: str
    danger: tuple[str, ...]
    jangan_heading: str
    jangan: tuple[str, ...]
    numbers_heading: str
    numbers: tuple[tuple[str, str], ...]
    """(number, whose): 119, 112, 115 at sea, the group's Puskesmas."""
    sources: str
    page_label: str
    """With {number} and {total}: "Kartu 1 dari 2"."""
    continued: str


def card_text(
    texts: Texts, language: str, topic: Topic, sector: Sector, numbers: EmergencyNumbers
) -> CardText:
    """The card of `topic` for a reader of `sector`: the steps of that trade's wording."""

    def t(key: str, **params: object) -> str:
        return texts.get(language, f"card.{key}", **params)

    rows = [("119", t("call_119")), ("112", t("call_112"))]
    if numbers.at_sea:
        rows.append(("115", t("call_115")))
    if numbers.puskesmas_phone:
        rows.append((numbers.puskesmas_phone, numbers.puskesmas_name or t("puskesmas")))
    return CardText(
        urgency=topic.urgency,
        urgency_line=t(f"urgency_{topic.urgency.value}"),
        title=pick(topic.title, language),
        steps_heading=t("steps"),
        steps=tuple(pick(step, language) for step in topic.steps_for(sector)),
        danger_heading=t("danger"),
        danger=tuple(pick(sign, language) for sign in topic.danger_signs),
        jangan_heading=t("jangan"),
        jangan=tuple(pick(item, language) for item in topic.jangan),
        numbers_heading=t("numbers"),
        numbers=tuple(rows),
        sources=t("sources", sources="; ".join(source.title for source in topic.sources)),
        page_label=texts.get(language, "card.page"),
        continued=t("continued"),
    )


@cache
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold=bold)), size)


@dataclass(frozen=True)
class Style:
    size: int
    bold: bool = False
    colour: tuple[int, int, int] = INK

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        return _font(self.size, bold=self.bold)


URGENCY_STYLE = Style(36, bold=True, colour=WHITE)
TITLE_STYLE = Style(58, bold=True)
PAGE_STYLE = Style(28, colour=GREY)
HEADING_STYLE = Style(38, bold=True)
DANGER_HEADING_STYLE = Style(37, bold=True, colour=DANGER_INK)
BODY_STYLE = Style(36)
NUMBER_STYLE = Style(34, bold=True, colour=WHITE)
NUMBERS_HEADING_STYLE = Style(30, colour=WHITE)
NUMBERS_STYLE = Style(40, bold=True, colour=WHITE)
NUMBERS_LABEL_STYLE = Style(34, colour=WHITE)
MIN_LABEL_WIDTH = 320
SOURCES_STYLE = Style(24, colour=GREY)


@dataclass(frozen=True)
class Box:
    """One text placed on a card: what it is, where its ink is, and the words."""

    kind: Kind
    left: float
    top: float
    right: float
    bottom: float
    text: str

    def overlaps(self, other: Box) -> bool:
        return not (
            self.right <= other.left
            or other.right <= self.left
            or self.bottom <= other.top
            or other.bottom <= self.top
        )


@dataclass
class _Placed:
    kind: Kind
    text: ImageText.Text[str]
    x: float
    y: float
    style: Style
    anchor: str = "la"

    def box(self) -> Box:
        left, top, right, bottom = self.text.get_bbox((self.x, self.y), anchor=self.anchor)
        return Box(self.kind, left, top, right, bottom, self.text.text.replace("\n", " "))


@dataclass
class Page:
    """One picture: its height, its coloured shapes, and its text boxes."""

    height: int = 0
    fills: list[tuple[tuple[float, float, float, float], tuple[int, int, int]]] = field(
        default_factory=list
    )
    discs: list[tuple[float, float]] = field(default_factory=list)
    icon: tuple[float, float] | None = None
    texts: list[_Placed] = field(default_factory=list)

    @property
    def boxes(self) -> list[Box]:
        return [placed.box() for placed in self.texts]


def _wrapped(text: str, style: Style, width: float) -> ImageText.Text[str]:
    wrapped = ImageText.Text(text, style.font, spacing=LINE_SPACING)
    wrapped.wrap(int(width))
    return wrapped


def _height(text: ImageText.Text[str]) -> float:
    """The height of its lines by the font's own metrics (not the ink, which depends on the
    letters), so that items of as many lines take as much room."""
    font = text.font
    assert isinstance(font, ImageFont.FreeTypeFont), "cards use TrueType fonts only"
    ascent, descent = font.getmetrics()
    lines = text.text.count("\n") + 1
    return float(lines * (ascent + descent) + (lines - 1) * LINE_SPACING)


@cache
def _wrapped_height(text: str, style: Style, width: float) -> float:
    return _height(_wrapped(text, style, width))


class _Section(StrEnum):
    STEPS = "steps"
    DANGER = "danger"
    JANGAN = "jangan"


@dataclass(frozen=True)
class _Item:
    section: _Section
    number: int
    text: str


TEXT_WIDTH = WIDTH - 2 * MARGIN
ITEM_WIDTH = {
    _Section.STEPS: TEXT_WIDTH - INDENT,
    _Section.DANGER: TEXT_WIDTH - 2 * PAD - 40,
    _Section.JANGAN: TEXT_WIDTH - 2 * PAD - 40,
}
HEADINGS = {
    _Section.STEPS: HEADING_STYLE,
    _Section.DANGER: DANGER_HEADING_STYLE,
    _Section.JANGAN: HEADING_STYLE,
}
ITEM_KIND = {_Section.STEPS: Kind.STEP, _Section.DANGER: Kind.DANGER, _Section.JANGAN: Kind.JANGAN}
MARKS = {_Section.DANGER: "•", _Section.JANGAN: "✗"}


def _items(card: CardText) -> list[_Item]:
    return [
        *(_Item(_Section.STEPS, n, text) for n, text in enumerate(card.steps, 1)),
        *(_Item(_Section.DANGER, n, text) for n, text in enumerate(card.danger, 1)),
        *(_Item(_Section.JANGAN, n, text) for n, text in enumerate(card.jangan, 1)),
    ]


def _item_height(item: _Item) -> float:
    text = _wrapped_height(item.text, BODY_STYLE, ITEM_WIDTH[item.section])
    return max(text, DISC if item.section is _Section.STEPS else 0) + GAP


def _heading_text(card: CardText, section: _Section, continued: bool) -> str:
    heading = {
        _Section.STEPS: card.steps_heading,
        _Section.DANGER: card.danger_heading,
        _Section.JANGAN: card.jangan_heading,
    }[section]
    if not continued:
        return heading
    # "JANGAN (lanjutan):", not "JANGAN: (lanjutan)"
    colon = ":" if heading.endswith(":") else ""
    return f"{heading.removesuffix(':')} {card.continued}{colon}"


def _section_height(card: CardText, section: _Section, items: Sequence[_Item]) -> float:
    """A section's part on one page: heading, items, and the box padding around them."""
    heading = _wrapped_height(_heading_text(card, section, True), HEADINGS[section], TEXT_WIDTH)
    padding = 0 if section is _Section.STEPS else 2 * PAD
    return heading + GAP + sum(_item_height(item) for item in items) + padding + GAP


def _pages_of_items(card: CardText, room: float) -> list[list[_Item]]:
    """The items, page by page: as many whole items as fit, in order; the sources line goes
    with the last item."""
    items = _items(card)
    pages: list[list[_Item]] = [[]]
    for item in items:
        trial = [*pages[-1], item]
        last = item is items[-1]
        if pages[-1] and _body_height(card, trial, sources=last) > room:
            pages.append([item])
        else:
            pages[-1] = trial
        if _body_height(card, pages[-1], sources=last) > room:
            raise ValueError(f"one item of {card.title!r} is taller than a card")
    return pages


def _body_height(card: CardText, items: Sequence[_Item], *, sources: bool) -> float:
    sections = sum(
        _section_height(card, section, [i for i in items if i.section is section])
        for section in _Section
        if any(i.section is section for i in items)
    )
    return sections + (_wrapped_height(card.sources, SOURCES_STYLE, TEXT_WIDTH) + GAP) * sources


def layout(card: CardText) -> list[Page]:
    """The card's pictures with every text box placed: one, or more when it does not fit."""
    header_height = _header(Page(), card, card.page_label, top=0)
    footer_height = _footer(Page(), card, top=0)
    room = MAX_HEIGHT - header_height - footer_height
    parts = _pages_of_items(card, room)
    pages = []
    for number, items in enumerate(parts, 1):
        page = Page()
        label = card.page_label.format(number=number, total=len(parts)) if len(parts) > 1 else ""
        y = _header(page, card, label, top=0)
        for section in _Section:
            mine = [i for i in items if i.section is section]
            if mine:
                continued = mine[0].number > 1
                y = _place_section(page, card, section, mine, y, continued=continued)
        if number == len(parts):
            source = _wrapped(card.sources, SOURCES_STYLE, TEXT_WIDTH)
            page.texts.append(_Placed(Kind.SOURCES, source, MARGIN, y - GAP, SOURCES_STYLE))
            y += _height(source) + GAP
        page.height = int(_footer(page, card, top=y))
        pages.append(page)
    return pages


def _header(page: Page, card: CardText, page_label: str, top: float) -> float:
    """The urgency band with its icon, the title, and "Kartu 1 dari 2" when there are more."""
    text_left = MARGIN + ICON + 32
    urgency = _wrapped(card.urgency_line, URGENCY_STYLE, WIDTH - MARGIN - text_left)
    band = max(ICON, _height(urgency)) + 2 * PAD
    page.fills.append(((0, top, WIDTH, top + band), URGENCY_COLOUR[card.urgency]))
    page.icon = (MARGIN + ICON / 2, top + band / 2)
    urgency_top = top + (band - _height(urgency)) / 2
    page.texts.append(_Placed(Kind.URGENCY, urgency, text_left, urgency_top, URGENCY_STYLE))
    y = top + band + GAP
    title = _wrapped(card.title, TITLE_STYLE, TEXT_WIDTH)
    page.texts.append(_Placed(Kind.TITLE, title, MARGIN, y, TITLE_STYLE))
    y += _height(title) + GAP
    if page_label:
        label = _wrapped(page_label, PAGE_STYLE, TEXT_WIDTH)
        page.texts.append(_Placed(Kind.PAGE, label, MARGIN, y, PAGE_STYLE))
        y += _height(label) + GAP
    return y + GAP


def _place_section(
    page: Page,
    card: CardText,
    section: _Section,
    items: Sequence[_Item],
    top: float,
    *,
    continued: bool,
) -> float:
    boxed = section is not _Section.STEPS
    inner = MARGIN + (PAD if boxed else 0)
    bottom = top + _section_height(card, section, items) - GAP
    if boxed:
        fill = DANGER_FILL if section is _Section.DANGER else JANGAN_FILL
        page.fills.append(((MARGIN, top, WIDTH - MARGIN, bottom), fill))
    y = top + (PAD if boxed else 0)
    style = HEADINGS[section]
    heading = _wrapped(_heading_text(card, section, continued), style, TEXT_WIDTH - 2 * PAD)
    page.texts.append(_Placed(Kind.HEADING, heading, inner, y, style))
    y += _height(heading) + GAP
    for item in items:
        body = _wrapped(item.text, BODY_STYLE, ITEM_WIDTH[section])
        if section is _Section.STEPS:
            if item.number == 1:
                page.fills.append(
                    ((MARGIN - 12, y - 12, WIDTH - MARGIN + 12, y + max(_height(body), DISC) + 12),
                     FIRST_STEP)
                )  # fmt: skip
            page.discs.append((MARGIN + DISC / 2, y + DISC / 2))
            number = ImageText.Text(str(item.number), NUMBER_STYLE.font)
            page.texts.append(
                _Placed(Kind.NUMBER, number, MARGIN + DISC / 2, y + DISC / 2, NUMBER_STYLE, "mm")
            )
            page.texts.append(_Placed(Kind.STEP, body, MARGIN + INDENT, y + 8, BODY_STYLE))
        else:
            mark_style = DANGER_HEADING_STYLE if section is _Section.DANGER else BODY_STYLE
            mark = ImageText.Text(MARKS[section], mark_style.font)
            page.texts.append(_Placed(ITEM_KIND[section], mark, inner, y, mark_style))
            page.texts.append(_Placed(ITEM_KIND[section], body, inner + 40, y, BODY_STYLE))
        y += _item_height(item)
    return bottom + GAP


def _footer(page: Page, card: CardText, top: float) -> float:
    """The emergency numbers on a dark band: each number in bold, then whose it is."""
    y = top + PAD
    heading = _wrapped(card.numbers_heading, NUMBERS_HEADING_STYLE, TEXT_WIDTH)
    page.texts.append(_Placed(Kind.NUMBERS, heading, MARGIN, y, NUMBERS_HEADING_STYLE))
    y += _height(heading) + GAP
    for number, whose in card.numbers:
        dial = _wrapped(number, NUMBERS_STYLE, TEXT_WIDTH)
        page.texts.append(_Placed(Kind.NUMBERS, dial, MARGIN, y, NUMBERS_STYLE))
        beside = MARGIN + dial.get_length() + 28 if "\n" not in dial.text else WIDTH
        if WIDTH - MARGIN - beside < MIN_LABEL_WIDTH:  # a long phone number: the name below
            y += _height(dial) + GAP / 3
            beside = MARGIN
        label = _wrapped(whose, NUMBERS_LABEL_STYLE, WIDTH - MARGIN - beside)
        page.texts.append(_Placed(Kind.NUMBERS, label, beside, y + 4, NUMBERS_LABEL_STYLE))
        y += max(_height(label) + 4, _height(dial) if beside > MARGIN else 0) + GAP / 2
    bottom = y + PAD - GAP / 2
    page.fills.append(((0, top, WIDTH, bottom), NAVY))
    return bottom


def draw(page: Page, card: CardText) -> bytes:
    """The page as a PNG."""
    image = Image.new("RGB", (WIDTH, page.height), WHITE)
    pen = ImageDraw.Draw(image)
    for (left, top, right, bottom), colour in page.fills:
        radius = 0 if left <= 0 and right >= WIDTH else 18  # full-width bands are square
        pen.rounded_rectangle((left, top, right, bottom), radius=radius, fill=colour)
    if page.icon is not None:
        _icon(pen, page.icon, card.urgency)
    for x, y in page.discs:
        r = DISC / 2
        pen.ellipse((x - r, y - r, x + r, y + r), fill=NAVY)
    for placed in page.texts:
        pen.text((placed.x, placed.y), placed.text, fill=placed.style.colour, anchor=placed.anchor)
    small = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    small.save(out, format="PNG")
    return out.getvalue()


def _icon(pen: ImageDraw.ImageDraw, centre: tuple[float, float], urgency: Urgency) -> None:
    """A white sign on the urgency's colour: a disc with ! (GAWAT), a triangle with !
    (SEGERA), a disc with a first-aid cross (RAWAT)."""
    x, y = centre
    r = ICON / 2
    colour = URGENCY_COLOUR[urgency]
    if urgency is Urgency.SEGERA:
        pen.polygon(((x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8)), fill=WHITE)
        y += r * 0.25
    else:
        pen.ellipse((x - r, y - r, x + r, y + r), fill=WHITE)
    pen.text((x, y), URGENCY_MARK[urgency], fill=colour, font=_font(54, bold=True), anchor="mm")


def render(card: CardText) -> list[bytes]:
    """The card's pictures, PNG, in order."""
    return [draw(page, card) for page in layout(card)]


def cached_card(cache_dir: Path, card: CardText) -> list[Path]:
    """The card's pictures, drawn once per content and design (`bot.reports.printed`)."""
    what = {"card": asdict(card), "design": design_digest(DESIGN)}
    return cached_pages(cache_dir, what, ".png", lambda: render(card))
