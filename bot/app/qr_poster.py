"""A printable QR poster of a group's join link (`posukk admin qr`)."""

from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from bot.domain.joinlinks import SIGN_UP_WORD
from bot.storage.records import Group


def write_qr_poster(link: str, group: Group, path: Path, app: str = "telegram") -> Path:
    """A PNG to print: the QR code, the group's name and its code in large letters below (on a
    WhatsApp poster, the message to send, for anyone who types it instead of scanning)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(link)
    code.make(fit=True)
    qr = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    font = ImageFont.load_default(size=36)
    code_line = f"Kode: {group.join_code}"
    if app == "whatsapp":
        code_line = f"WhatsApp: {SIGN_UP_WORD} {group.join_code}"
    lines = [group.name, code_line]
    poster = Image.new("RGB", (qr.width, qr.height + 60 * len(lines) + 20), "white")
    poster.paste(qr, (0, 0))
    draw = ImageDraw.Draw(poster)
    for number, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((qr.width - width) / 2, qr.height + 60 * number), line, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    poster.save(path)
    return path
