"""Every page and download for every kind of person: a kader sees their own group, an officer
their area, an admin everything; nothing outside the scope, however the address is edited.

Expectations are written out from the policy (`bot.domain.access`), not computed with it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re

import pytest
from openpyxl import load_workbook

from bot.base.models import Channel
from scheduler.broadcasts import advance_broadcasts
from tests.bot.web.conftest import TEXTS, Site, ref_of
from tests.conftest import Person, add_meeting

FISHERMEN, PLANTATION = 1, 2
"""The demo's group ids (the fishermen were created first)."""
ALL = "sari", "rahmat", "andi", "admin"

# path -> who gets the page (200); everyone else of ALL is refused with 403.
PAGES = {
    "/": ALL,
    "/laporan": ALL,
    "/laporan?period=all": ALL,
    "/laporan/{fishermen_report}": ("sari", "andi", "admin"),
    "/laporan/{plantation_report}": ("rahmat", "andi", "admin"),
    "/laporan/999999": (),
    f"/laporan?group={FISHERMEN}": ("sari", "andi", "admin"),
    f"/laporan?group={PLANTATION}": ("rahmat", "andi", "admin"),
    "/laporan/unduh.xlsx": ALL,
    "/laporan/unduh.csv": ALL,
    f"/laporan/unduh.csv?group={PLANTATION}": ("rahmat", "andi", "admin"),
    "/grup": ALL,
    f"/grup/{FISHERMEN}": ("sari", "andi", "admin"),
    f"/grup/{PLANTATION}": ("rahmat", "andi", "admin"),
    "/grup/999": (),
    "/kegiatan": ALL,
    "/siaran": ALL,
    "/peta": ALL,
    f"/peta?group={FISHERMEN}": ("sari", "andi", "admin"),
    f"/peta?group={PLANTATION}": ("rahmat", "andi", "admin"),
}
CELLS = [(path, persona) for path in PAGES for persona in ALL]
PAGE_LIMIT = 300 * 1024


def address(site: Site, path: str) -> str:
    return path.format(
        fishermen_report=site.reports.fishermen[0], plantation_report=site.reports.plantation[0]
    )


@pytest.mark.parametrize(("path", "persona"), CELLS, ids=[f"{p}-{who}" for p, who in CELLS])
async def test_page(site: Site, path: str, persona: str) -> None:
    browser = await site.log_in(persona)
    response = await browser.get(address(site, path))
    expected = 200 if persona in PAGES[path] else 403
    assert response.status_code == expected, response.text[:300]
    assert len(response.content) < PAGE_LIMIT
    if expected == 403:
        assert "di luar wilayah Anda" in response.text
    elif response.headers["content-type"].startswith("text/html"):
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"


async def test_a_worker_gets_no_link(site: Site) -> None:
    budi = Person(site.engine, ref_of("budi"))
    await budi.say("/web")
    assert budi.keys[0] == "access.denied"
    assert site.rows("SELECT COUNT(*) FROM web_links") == [(0,)]


def _references(text: str) -> set[str]:
    return {word.strip('<>"') for word in text.replace(">", " ").split() if "UKK-" in word}


async def test_each_sees_the_reports_of_their_scope(site: Site) -> None:
    fishermen = {f"UKK-26-{n:06d}" for n in site.reports.fishermen}
    plantation = {f"UKK-26-{n:06d}" for n in site.reports.plantation}
    seen = {}
    for persona in ALL:
        browser = await site.log_in(persona)
        page = await browser.get("/laporan?period=all")
        seen[persona] = {ref for ref in fishermen | plantation if ref in page.text}
    assert seen == {
        "sari": fishermen,
        "rahmat": plantation,
        "andi": fishermen | plantation,
        "admin": fishermen | plantation,
    }


async def test_filters_narrow_the_list(site: Site) -> None:
    browser = await site.log_in("andi")
    page = await browser.get("/laporan?period=all&sector=sawit&kind=injury")
    assert all(f"UKK-26-{n:06d}" in page.text for n in site.reports.plantation)
    assert not any(f"UKK-26-{n:06d}" in page.text for n in site.reports.fishermen)
    none = await browser.get("/laporan?period=all&kind=near_miss")
    assert "Tidak ada laporan" in none.text
    ignored = await browser.get("/laporan?period=kemarin&kind=<script>")
    assert ignored.status_code == 200
    assert "<script>" not in ignored.text


async def test_an_anonymous_reporter_is_anonim_to_the_kader_only(site: Site) -> None:
    path = f"/laporan/{site.reports.anonymous}"
    kader = await (await site.log_in("sari")).get(path)
    officer = await (await site.log_in("andi")).get(path)
    assert '<dd id="reporter">anonim (-)</dd>' in kader.text
    assert "Budi" not in kader.text
    assert '<dd id="reporter">Budi' in officer.text


async def test_the_timeline_shows_who_did_what(site: Site) -> None:
    sari = await site.user("sari")
    incident = site.reports.fishermen[1]
    async with site.database.unit_of_work() as uow:
        await uow.incidents.set_status(incident, "contacted", None, sari, site.clock())
    page = await (await site.log_in("andi")).get(f"/laporan/{incident}")
    assert "Budi: melapor" in page.text
    assert "Bu Sari: sudah dihubungi" in page.text


async def test_downloads_hold_the_scope_and_are_audited(site: Site) -> None:
    browser = await site.log_in("sari")
    response = await browser.get("/laporan/unduh.csv")
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["No. laporan"] for row in rows} == {
        f"UKK-26-{n:06d}" for n in site.reports.fishermen
    }
    anonymous = f"UKK-26-{site.reports.anonymous:06d}"
    assert "Budi" not in str([row for row in rows if row["No. laporan"] == anonymous])
    workbook = await (await site.log_in("andi")).get("/laporan/unduh.xlsx?period=all")
    sheets = load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert len(sheets) == 2  # the reports and LBKP-1
    audited = site.rows(
        "SELECT actor, subject, detail FROM audit_log WHERE action = 'export-incidents' ORDER BY id"
    )
    sari, andi = await site.user("sari"), await site.user("andi")
    assert [(actor, subject) for actor, subject, _ in audited] == [
        (f"user:{sari}", f"groups:{FISHERMEN}"),
        (f"user:{andi}", f"groups:{PLANTATION},{FISHERMEN}"),
    ]
    assert '"via": "web"' in str(audited[0][2])


async def test_the_map_draws_located_reports_and_groups(site: Site) -> None:
    page = await (await site.log_in("andi")).get("/peta")
    assert "<svg" in page.text
    assert page.text.count("<circle") == 3  # the three reports with a location
    assert ">2, 1</text>" in page.text  # two reports a few hundred metres apart share a label
    assert "Bontang Kuala</text>" in page.text
    assert "Sambaliung</text>" in page.text
    kader = await (await site.log_in("sari")).get("/peta")
    assert kader.text.count("<circle") == 2
    assert "Sambaliung</text>" not in kader.text


async def test_pages_follow_the_persons_language(site: Site) -> None:
    andi = await site.user("andi")
    async with site.database.unit_of_work() as uow:
        await uow.users.set_language(andi, "en")
    page = await (await site.log_in("andi")).get("/")
    assert '<html lang="en">' in page.text
    assert "Groups by status" in page.text


async def test_the_calendar_lists_the_scopes_coming_activities(site: Site) -> None:
    await add_meeting(site.database, site.clock)
    kader = await (await site.log_in("sari")).get("/kegiatan")
    assert kader.text.count("Pertemuan rutin") == 4  # the Tuesdays 8 to 29 December
    assert "Selasa 08-12-2026" in kader.text
    assert "08:00 WITA" in kader.text
    assert "0 hadir, 0 tidak" in kader.text
    other = await (await site.log_in("rahmat")).get("/kegiatan")
    assert "Pertemuan rutin" not in other.text
    assert "Belum ada kegiatan" in other.text


async def test_broadcasts_show_their_delivery_counts_to_their_author(site: Site) -> None:
    sari = Person(site.engine, ref_of("sari"))
    await sari.say("/siaran")
    await sari.say("Besok kerja bakti jam 7 pagi.")
    await sari.tap("bc:nophoto")
    await sari.tap("bc:send")
    assert sari.keys[0] == "broadcast.queued", sari.keys
    await advance_broadcasts(site.database, TEXTS, site.data_dir, site.clock(), (Channel.TERMINAL,))
    page = await (await site.log_in("sari")).get("/siaran")
    row = page.text[page.text.index("Besok kerja bakti") :].split("</tr>")[0]
    # Budi is waiting; Bu Sari is the author, not a recipient.
    assert re.findall(r"<td data-label=\"[^\"]+\">(\d+)</td>", row) == ["0", "1", "0", "0"]
    assert "Besok kerja bakti" in (await (await site.log_in("admin")).get("/siaran")).text
    assert "Besok kerja bakti" not in (await (await site.log_in("rahmat")).get("/siaran")).text


async def test_a_groups_page_has_its_month_and_a_year_of_scores(site: Site) -> None:
    page = await (await site.log_in("sari")).get(f"/grup/{FISHERMEN}")
    assert "Nelayan Bontang Kuala" in page.text
    month = page.text[page.text.index('<dl id="month">') : page.text.index("</dl>")]
    assert "<dt>Anggota</dt><dd>2</dd>" in month
    assert "<dt>Kader</dt><dd>1</dd>" in month
    assert ">1</a></dd>" in month  # the one injury reported this month, linked to the list
    chart = page.text[page.text.index("<svg") : page.text.index("</svg>")]
    assert chart.count("<circle") == 2  # November and December: the group is two weeks old


async def test_pages_read_beside_a_writer_and_a_download_is_written(site: Site) -> None:
    """A page reads in a read-only transaction: it neither waits for a person's unit of work
    nor sees what that has not committed. The download writes its audit entry."""
    browser = await site.log_in("andi")
    async with site.database.unit_of_work() as uow:
        await uow.connection.execute("UPDATE pos_groups SET name = 'Belum tersimpan'")
        response = await asyncio.wait_for(browser.get("/grup"), timeout=10)
        assert response.status_code == 200
        assert "Belum tersimpan" not in response.text
    audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'export-incidents'"
    before = site.rows(audited)
    assert (await browser.get("/laporan/unduh.csv")).status_code == 200
    assert site.rows(audited) == [(int(str(before[0][0])) + 1,)]
