"""Chart images: valid PNGs of a size a cheap phone shows sharply and downloads quickly."""

from __future__ import annotations

import struct
import zlib

import pytest

from bot.reports.charts import MAX_BARS, Panel, Progress, count_chart, progress_chart, top_counts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 150_000
"""Well under a second on a 2G/EDGE link at worst, a few on a weak signal."""


def png_size(image: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header chunk, after checking the chunk's CRC."""
    assert image.startswith(PNG_SIGNATURE)
    length, kind = struct.unpack(">I4s", image[8:16])
    assert (length, kind) == (13, b"IHDR")
    data = image[16 : 16 + length]
    (crc,) = struct.unpack(">I", image[16 + length : 20 + length])
    assert crc == zlib.crc32(kind + data)
    width, height = struct.unpack(">II", data[:8])
    assert image.endswith(b"IEND\xaeB`\x82"), "the image is complete"
    return width, height


def assert_phone_sized(image: bytes) -> None:
    width, height = png_size(image)
    assert width == 800, "sharp on a phone, not bigger than it needs"
    assert 300 <= height <= 2000
    assert 2_000 < len(image) < MAX_BYTES


def test_a_kaders_progress_chart() -> None:
    image = progress_chart(
        "Nelayan Bontang Kuala\nNovember 2026, sampai 23 November",
        [
            Progress("Kegiatan terlaksana", 0.5, "2 dari 4"),
            Progress("Anggota aktif (60 hari)", 0.8, "8 dari 10"),
            Progress("Luka ditangani ≤24 jam", None, "tidak ada laporan"),
        ],
    )
    assert_phone_sized(image)


def test_an_officers_count_chart_with_an_empty_panel() -> None:
    image = count_chart(
        "Kota Bontang\nNovember 2026",
        [
            Panel("Status grup", [("Aktif", 3), ("Kurang aktif", 0), ("Tidak aktif", 1)], ""),
            Panel("Laporan menurut jenis", [], "Tidak ada laporan"),
            Panel("Laporan menurut sektor", [("Nelayan", 0)], "Tidak ada laporan"),
        ],
    )
    assert_phone_sized(image)


def test_a_chart_of_many_groups_and_topics_stays_phone_sized() -> None:
    topics = [(f"Topik nomor {n}", n) for n in range(1, 30)]
    image = count_chart(
        "Semua wilayah\nNovember 2026",
        [
            Panel(
                "Status grup", [("Aktif", 1200), ("Kurang aktif", 500), ("Tidak aktif", 300)], ""
            ),
            Panel("Laporan menurut jenis", top_counts(topics, "Lainnya"), "-"),
        ],
    )
    assert_phone_sized(image)


@pytest.mark.parametrize("count", [0, 1, MAX_BARS, MAX_BARS + 1, 40])
def test_top_counts_keeps_the_largest_and_adds_up_the_rest(count: int) -> None:
    counts = [(f"t{n:02d}", n + 1) for n in range(count)]
    kept = top_counts(counts, "Lainnya")
    assert len(kept) == min(count, MAX_BARS)
    assert sum(n for _, n in kept) == sum(n for _, n in counts)
    if count > MAX_BARS:
        assert kept[-1][0] == "Lainnya"
        assert [n for _, n in kept[:-1]] == sorted((n for _, n in counts), reverse=True)[
            : MAX_BARS - 1
        ]
