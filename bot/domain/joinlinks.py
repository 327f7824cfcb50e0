"""Telegram join links and printable QR posters for a Pos UKK group."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from bot.storage.records import Group


def join_link(bot_username: str, group: Group) -> str:
    """`t.me/<bot>?start=<code>`: opening it starts the bot with the group's code filled in."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={group.join_code}"


def write_qr_poster(link: str, group: Group, path: Path) -> Path:
    """A PNG to print: the QR code, the group's name and its code in large letters below."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(link)
    code.make(fit=True)
    qr = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    font = ImageFont.load_default(size=36)
    lines = [group.name, f"Kode: {group.join_code}"]
    poster = Image.new("RGB", (qr.width, qr.height + 60 * len(lines) + 20), "white")
    poster.paste(qr, (0, 0))
    draw = ImageDraw.Draw(poster)
    for number, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((qr.width - width) / 2, qr.height + 60 * number), line, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    poster.save(path)
    return path
