"""The command line as a person uses it: `posukk chat` with piped input, and `posukk admin`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.app.demo import FISHERMEN_CODE, seed_demo
from bot.app.demo_history import REPORTS
from bot.base.clock import utc_now
from bot.base.texts import Texts
from bot.reports.booklet import CONTENTS_PER_PAGE, booklet_text, booklet_topics
from bot.reports.cards import EmergencyNumbers
from bot.storage.database import Database
from content.knowledge import Knowledge
from content.schema import Sector


def posukk(
    *args: str, stdin: str = "", env_home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    # No quiet hours: these runs use the real clock, and a held message would not be printed.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "POSUKK_QUIET_HOURS": "00:00-00:00"}
    if env_home is not None:
        env["POSUKK_DATA_DIR"] = str(env_home)
    return subprocess.run(
        [sys.executable, "-m", "bot.app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_chat_with_piped_input_registers_and_shows_messages_for_others(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/start",
            "1",
            "1",
            "Rudi",
            "0812 3456 7890",
            "BTG7K2",
            "/as sari",
            "/anggota",
            "/keluar",
            "x",
        ]
    )
    result = posukk("chat", "--db", str(tmp_path / "chat.sqlite3"), stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Pilih bahasa / Choose language" in out
    assert "Terima kasih, Rudi! Anda sudah masuk grup Nelayan Bontang Kuala." in out
    assert ">> pesan untuk Bu Sari (/as sari):" in out
    assert "Anggota baru: Rudi bergabung" in out
    assert "Anggota grup Nelayan Bontang Kuala: 15 orang" in out, "the demo's 14 and Rudi"
    assert "[sari] > x" not in out


def test_chat_uses_the_data_directory_by_default_and_keeps_state(tmp_path: Path) -> None:
    first = posukk("chat", stdin="/start\n2\n", env_home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "posukk.sqlite3").exists()
    second = posukk("chat", stdin="i agree\n", env_home=tmp_path)
    assert "What is your name?" in second.stdout


def test_admin_creates_groups_grants_roles_and_audits(database_target: Path | str) -> None:
    db = str(database_target)  # a file, or a postgresql:// address on a PostgreSQL run
    created = posukk(
        "admin", "--db", db, "group-create", "--name", "Nelayan Tanjung Laut",
        "--sector", "nelayan", "--village", "Tanjung Laut", "--district", "Bontang Selatan",
        "--regency", "Kota Bontang",
        "--puskesmas", "Puskesmas Bontang Selatan",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    code = created.stdout.strip().split()[-1]
    assert len(code) == 6
    listing = posukk("admin", "--db", db, "groups")
    assert code in listing.stdout
    assert "Nelayan Tanjung Laut" in listing.stdout

    posukk("chat", "--db", db, stdin=f"/start {code}\n1\n1\nMaya\n1\n")
    users = posukk("admin", "--db", db, "users").stdout
    maya_id = next(line.split()[0] for line in users.splitlines() if "Maya" in line)
    assert (
        posukk("admin", "--db", db, "grant-kader", "--user", maya_id, "--group", code).returncode
        == 0
    )
    assert (
        posukk(
            "admin", "--db", db, "grant-officer", "--user", maya_id, "--regency", "Nowhere"
        ).returncode
        == 2
    )
    assert (
        posukk("admin", "--db", db, "revoke", "--user", maya_id, "--role", "kader").returncode == 0
    )
    audit = posukk("admin", "--db", db, "audit").stdout
    for action in ("create-group", "grant-role", "revoke-role"):
        assert action in audit


def test_admin_role_is_granted_revoked_and_found_in_the_audit_log(
    tmp_path: Path, database_target: Path | str
) -> None:
    db = str(database_target)
    posukk("chat", "--db", db, stdin="")  # the demo data
    users = posukk("admin", "--db", db, "users").stdout
    budi = next(line.split()[0] for line in users.splitlines() if "Budi" in line)
    assert posukk("admin", "--db", db, "grant-admin", "--user", budi).returncode == 0
    again = posukk("admin", "--db", db, "grant-admin", "--user", budi)
    assert again.returncode == 2
    assert "already admin" in again.stderr
    assert "roles=admin" in posukk("admin", "--db", db, "users").stdout
    assert posukk("admin", "--db", db, "revoke", "--user", budi, "--role", "admin").returncode == 0
    export = tmp_path / "x.csv"
    today = dt.date.today()
    since, until = (
        (today - dt.timedelta(days=200)).isoformat(),
        (today + dt.timedelta(days=1)).isoformat(),
    )
    args = ("--from", since, "--to", until, "--format", "csv", "--output")
    assert posukk("export", "incidents", "--db", db, *args, str(export)).returncode == 0

    grants = posukk("admin", "--db", db, "audit", "--action", "grant-role").stdout.splitlines()
    assert len(grants) == 1
    assert f"user:{budi}" in grants[0]
    assert "role=admin" in grants[0]
    about_budi = posukk("admin", "--db", db, "audit", "--subject", f"user:{budi}").stdout
    assert [line.split()[3] for line in about_budi.splitlines()] == ["revoke-role", "grant-role"]
    exports = posukk("admin", "--db", db, "audit", "--action", "export-incidents").stdout
    assert "admin-cli" in exports
    assert f"reports={len(REPORTS)}" in exports, "the demo's six months of reports"


@pytest.mark.parametrize(
    "args",
    [
        ("grant-kader", "--user", "999", "--group", "BTG7K2"),
        ("group-create", "--name", "X", "--sector", "nelayan", "--village", "V", "--district", "D",
         "--regency", "R", "--puskesmas", "P", "--timezone", "Mars/Olympus"),
    ],
)  # fmt: skip
def test_admin_errors_are_clear_and_change_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = posukk("admin", "--db", str(tmp_path / "e.sqlite3"), *args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")


def test_match_json_writes_exactly_one_object_per_input_line() -> None:
    lines = ["kna kail di jari", "", "halo", "tmn sy ga sadar"]
    result = posukk("match", "--json", "-", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["text"] for o in objects] == lines
    keys = ["text", "topics", "scores", "emergency", "danger_signs", "ask", "urgency"]
    for found in objects:
        assert list(found) == [*keys, "general", "concepts", "ruled_out"]
        assert len(found["topics"]) == len(found["scores"]) <= 5
    assert objects[0]["topics"][0] == "fish-hook"
    assert objects[2] == {
        "text": "halo",
        "topics": [],
        "scores": [],
        "emergency": False,
        "danger_signs": [],
        "ask": [],
        "urgency": None,
        "general": False,
        "concepts": ["greeting"],
        "ruled_out": [],
    }
    assert objects[3]["emergency"] is True
    assert objects[3]["danger_signs"] == ["unresponsive"]


def test_match_json_names_the_red_flag_question_it_would_ask() -> None:
    result = posukk("match", "--json", "kepala kebentur kayu bagan")
    found = json.loads(result.stdout)
    assert found["ask"] == ["head-red-flags"]
    assert found["emergency"] is False


def test_match_readable_and_content_commands() -> None:
    readable = posukk("match", "digigit ular")
    assert "snakebite" in readable.stdout
    assert "YA / YES" in readable.stdout
    assert "kata kunci / keywords: digigit, ular" in readable.stdout
    check = posukk("content", "check")
    assert check.returncode == 0
    assert check.stdout.startswith("ok: ")
    review = posukk("content", "review-list")
    assert review.returncode == 0
    assert "snakebite" in review.stdout
    dev_set = Path(__file__).resolve().parents[2] / "data" / "triage_dev.jsonl"
    measured = posukk("content", "evaluate", str(dev_set))
    assert measured.stdout.startswith("465 messages: top-1 ")
    field_set = dev_set.with_name("field_messages.tsv")
    assert posukk("content", "evaluate", str(field_set)).stdout.startswith("238 messages: top-1 ")


def test_run_says_it_runs_on_both_apps() -> None:
    listed = posukk("--help").stdout
    assert "run the bot on Telegram and/or WhatsApp" in " ".join(listed.split())


def test_admin_prints_join_links_and_writes_a_qr_poster(tmp_path: Path) -> None:
    from PIL import Image

    db = str(tmp_path / "qr.sqlite3")
    posukk("chat", "--db", db, stdin="/keluar\n")
    assert (
        posukk("admin", "--db", db, "qr", "--group", "BTG7K2", "--app", "whatsapp").returncode == 2
    )
    env = {
        **os.environ,
        "POSUKK_TELEGRAM_BOT_USERNAME": "PosUkkBot",
        "POSUKK_WHATSAPP_NUMBER": "+62 811-5000-123",
    }
    listing = subprocess.run(
        [sys.executable, "-m", "bot.app.cli", "admin", "--db", db, "groups"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    fishermen = next(line for line in listing.stdout.splitlines() if "BTG7K2" in line)
    assert "https://t.me/PosUkkBot?start=BTG7K2" in fishermen
    assert "https://wa.me/628115000123?text=DAFTAR%20BTG7K2" in fishermen
    wa_poster = tmp_path / "poster-wa.png"
    command = ["admin", "--db", db, "qr", "--group", "BTG7K2", "--app", "whatsapp"]
    made = subprocess.run(
        [sys.executable, "-m", "bot.app.cli", *command, "--out", str(wa_poster)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert made.stdout.startswith("https://wa.me/628115000123?text=DAFTAR%20BTG7K2\n")
    with Image.open(wa_poster) as image:
        assert image.width >= 300
    poster = tmp_path / "poster.png"
    command = ["admin", "--db", db, "qr", "--group", "BTG7K2", "--out", str(poster)]
    made = subprocess.run(
        [sys.executable, "-m", "bot.app.cli", *command],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert "QR poster written" in made.stdout
    with Image.open(poster) as image:
        assert image.width >= 300
    assert posukk("admin", "--db", db, "qr", "--group", "BTG7K2").returncode == 2


def test_chat_demo_moves_time_to_see_a_reminder(tmp_path: Path) -> None:
    """Bu Sari schedules tomorrow's meeting; moving the clock an hour at a time, whatever the
    hour now, passes a reminder time (17:00 the day before or 06:00) before 08:00 tomorrow."""
    # The demo's weekly meeting may send her a reminder right after the first /kegiatan: "hadir"
    # answers it (the newest message with choices), or is asked again if none came.
    script = ["/as sari", "/kegiatan", "hadir", "/kegiatan", "1", "1", "1", "balai desa"]
    script += ["besok jam 8", "1", "1", "1"]
    script += ["/maju 1 jam"] * 30
    result = posukk("chat", "--db", str(tmp_path / "demo.sqlite3"), stdin="\n".join(script))
    assert result.returncode == 0, result.stderr
    assert 'Kegiatan "Pertemuan rutin" sudah disimpan.' in result.stdout
    assert ">> pesan untuk Budi (/as budi):" in result.stdout
    assert "Pengingat kegiatan Pos UKK" in result.stdout


def test_admin_lists_the_updates_the_bot_could_not_handle(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite3"
    posukk("chat", "--db", str(db), stdin="")  # the schema and the demo data
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO inbox (channel, update_ref, sender, raw, received_at, failed_at, error)"
            " VALUES ('telegram', '77', '9', '{}', '2026-12-01T01:00:00+00:00',"
            " '2026-12-01T01:00:00+00:00', 'KeyError: date')"
        )
    listed = posukk("admin", "--db", str(db), "inbox").stdout.splitlines()
    assert len(listed) == 1
    assert "telegram" in listed[0]
    assert "KeyError: date" in listed[0]


HEAVY = ("matplotlib", "openpyxl", "telegram", "pywa", "pywa_async", "apscheduler", "handlers")


@pytest.mark.parametrize(
    "args", [["--help"], ["match", "--json", "kena kail"], ["content", "check"]]
)
def test_a_command_loads_only_what_it_uses(args: list[str]) -> None:
    """`posukk --help` and `posukk match` start fast: no chat library, no charts, no workbooks,
    no flows are imported for them."""
    script = (
        "import sys\n"
        "from bot.app.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "LOADED []" in result.stdout


def booklet_page_texts(path: Path) -> list[str]:
    """Each page's text, read back with pypdf, its lines joined as they were wrapped."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


async def seeded(path: Path) -> None:
    database = await Database.open(path)
    await seed_demo(database, utc_now())
    async with database.unit_of_work() as uow:
        group = await uow.groups.by_code(FISHERMEN_CODE)
        assert group is not None
        await uow.groups.set_contacts(
            group.id,
            puskesmas_phone="0548 21001",
            ambulance_phone=None,
            hospital_name=None,
            hospital_phone=None,
        )
    await database.close()


def test_the_booklet_for_a_fishers_group_has_every_topic_on_its_own_page(
    tmp_path: Path, knowledge: Knowledge, texts: Texts
) -> None:
    db = tmp_path / "posukk.sqlite3"
    asyncio.run(seeded(db))
    out = tmp_path / "p3k.pdf"
    args = ["content", "booklet", "--sector", "nelayan", "--group", FISHERMEN_CODE.lower()]
    result = posukk(*args, "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    pages = booklet_page_texts(out)
    topics = booklet_topics(list(knowledge.topics.values()), Sector.FISHING, "id")
    assert {t.id for t in topics} == {
        t.id for t in knowledge.topics.values() if "nelayan" in t.sectors
    }
    contents = -(-len(topics) // CONTENTS_PER_PAGE)
    assert len(pages) == 1 + contents + len(topics) + 1
    cover, back = pages[0], pages[-1]
    for page in (cover, back):
        assert "0548 21001" in page
        assert "115" in page
    assert "Nelayan Bontang Kuala" in cover
    for topic, page in zip(topics, pages[1 + contents : -1], strict=True):
        assert page.startswith(texts.get("id", f"card.urgency_{topic.urgency.value}"))
        for line in (topic.title, *topic.steps_for(Sector.FISHING), *topic.danger_signs,
                     *topic.jangan, topic.refer):  # fmt: skip
            assert " ".join(line.id.split()) in page, f"{topic.id}: {line.id!r}"
    assert all(topic.title.id in " ".join(pages[1 : 1 + contents]) for topic in topics)


def test_the_booklet_for_everyone_in_english(knowledge: Knowledge, texts: Texts) -> None:
    """Its words (the PDF is the same drawing as above): every topic, no 115 off the sea."""
    words = booklet_text(
        texts, "en", list(knowledge.topics.values()), None, EmergencyNumbers(at_sea=False)
    )
    assert words.title == "First Aid at Work"
    assert len(words.topics) == len(knowledge.topics)
    assert words.topics[0].card.urgency_line.startswith("EMERGENCY"), "emergencies first"
    assert [number for number, _ in words.numbers] == ["119", "112"]
    assert words.write_puskesmas.startswith("Puskesmas number: ___")


def test_the_booklet_of_an_unknown_group_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "p3k.pdf"
    db = tmp_path / "posukk.sqlite3"
    result = posukk("content", "booklet", "--group", "NOPE00", "--db", str(db), "--out", str(out))
    assert result.returncode != 0
    assert "no group with the code 'NOPE00'" in result.stderr
    assert not out.exists()
