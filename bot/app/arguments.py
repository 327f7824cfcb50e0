"""Every `posukk` command and its options; nothing heavy is imported here, so `posukk --help`
answers at once and each command loads only what it uses (`bot.app.cli`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.base.texts import LANGUAGES
from bot.storage.records import Role
from content.schema import Sector

ALL_SECTORS = "semua"
"""`posukk content booklet --sector semua`: every topic, in general wording."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posukk", description="Pos UKK chatbot")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="chat with the bot in this terminal (demo data)")
    chat.add_argument("--db", help="database file (default: the user's data directory)")
    chat.add_argument("--as", dest="persona", default="saya", help="demo persona to start as")
    commands.add_parser(
        "run",
        help="run the bot on Telegram and/or WhatsApp, whichever is configured"
        " (settings from POSUKK_* variables)",
    )
    web = commands.add_parser(
        "web",
        help="serve the web dashboard (POSUKK_WEB_PORT, default 8090; POSUKK_WEB_BASE_URL)",
    )
    web.add_argument("--db", help="database file (default: the user's data directory)")
    add_admin_parser(commands)
    add_content_parsers(commands)
    export = commands.add_parser("export", help="write files for the Puskesmas")
    what = export.add_subparsers(dest="what", required=True)
    incidents = what.add_parser(
        "incidents", help="incident reports (one row each) and the LBKP-1 monthly counts"
    )
    incidents.add_argument(
        "--from",
        dest="first",
        required=True,
        metavar="YYYY-MM-DD",
        help="first day: reports sent from 00:00, each group's local time",
    )
    incidents.add_argument(
        "--to",
        dest="last",
        required=True,
        metavar="YYYY-MM-DD",
        help="last day: reports sent until 24:00, each group's local time",
    )
    incidents.add_argument("--regency", help="only the groups of this regency or city")
    incidents.add_argument("--db", help="database file (default: the user's data directory)")
    incidents.add_argument(
        "--format", choices=("xlsx", "csv"), default="xlsx", help="xlsx (default) or csv"
    )
    incidents.add_argument(
        "--output", type=Path, help="file to write (default: laporan-insiden-FROM-TO.FORMAT here)"
    )
    report = commands.add_parser("report", help="write recaps for the Puskesmas and the kader")
    kind = report.add_subparsers(dest="kind", required=True)
    monthly = kind.add_parser(
        "monthly", help="each group's indicators, status and score for a month (xlsx)"
    )
    monthly.add_argument("--month", required=True, metavar="YYYY-MM", help="the month")
    monthly.add_argument("--regency", help="only the groups of this regency or city")
    monthly.add_argument("--db", help="database file (default: the user's data directory)")
    monthly.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument(
        "--db", help="database file or postgresql:// address (default: the configured one)"
    )
    db_actions = db.add_subparsers(dest="action", required=True)
    backup = db_actions.add_parser(
        "backup", help="copy the database to PATH, safely even while `posukk run` is running"
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    copy = db_actions.add_parser(
        "copy", help="copy the SQLite database into an empty PostgreSQL one (stop the bot first)"
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/name")
    return parser


def add_admin_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = commands.add_parser("admin", help="manage groups and roles")
    admin.add_argument("--db", help="database file (default: the user's data directory)")
    actions = admin.add_subparsers(dest="action", required=True)

    create = actions.add_parser(
        "group-create", help="create a Pos UKK group and print its join code"
    )
    create.add_argument("--name", required=True)
    create.add_argument("--sector", required=True, choices=[s.value for s in Sector])
    create.add_argument("--village", required=True)
    create.add_argument("--district", required=True)
    create.add_argument("--regency", required=True)
    create.add_argument("--puskesmas", required=True, help="Puskesmas name")
    create.add_argument("--puskesmas-phone")
    create.add_argument(
        "--timezone", help="IANA zone, e.g. Asia/Jakarta (default: POSUKK_DEFAULT_TIMEZONE)"
    )

    contacts = actions.add_parser(
        "group-contacts", help="set the local numbers shown on a group's emergency card"
    )
    contacts.add_argument("--group", required=True, help="join code of the group")
    contacts.add_argument("--puskesmas-phone")
    contacts.add_argument("--ambulance-phone", help="the regency's PSC 119 ambulance")
    contacts.add_argument("--hospital", help="nearest hospital with antivenom (SABU)")
    contacts.add_argument("--hospital-phone")

    actions.add_parser("groups", help="list groups with their join codes")
    qr = actions.add_parser("qr", help="write a printable QR poster with a group's join link")
    qr.add_argument("--group", required=True, help="join code of the group")
    qr.add_argument(
        "--app",
        choices=("telegram", "whatsapp"),
        default="telegram",
        help="which app the link opens (default: telegram)",
    )
    qr.add_argument(
        "--out", type=Path, help="PNG file (default: posukk-<CODE>.png, -wa.png for WhatsApp)"
    )

    actions.add_parser("users", help="list registered people with their groups and roles")

    kader = actions.add_parser("grant-kader", help="make a user kader of a group")
    kader.add_argument("--user", type=int, required=True, help="user id (see `users`)")
    kader.add_argument("--group", required=True, help="join code of the group")

    officer = actions.add_parser("grant-officer", help="make a user officer of a regency or groups")
    officer.add_argument("--user", type=int, required=True)
    scope = officer.add_mutually_exclusive_group(required=True)
    scope.add_argument("--regency")
    scope.add_argument("--group", action="append", help="join code; repeat for several groups")

    admin_role = actions.add_parser("grant-admin", help="make a user admin: every group")
    admin_role.add_argument("--user", type=int, required=True)

    revoke = actions.add_parser("revoke", help="revoke every active grant of a role from a user")
    revoke.add_argument("--user", type=int, required=True)
    revoke.add_argument(
        "--role", required=True, choices=[Role.KADER.value, Role.OFFICER.value, Role.ADMIN.value]
    )

    actions.add_parser(
        "inbox", help="list the updates the bot could not handle (kept 14 days), with the reason"
    )
    audit = actions.add_parser("audit", help="show the latest audit log entries, newest first")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument(
        "--action", dest="only_action", help="only this action, e.g. grant-role, export-incidents"
    )
    audit.add_argument(
        "--subject", dest="only_subject", help="only this subject, e.g. user:12 or incident:3"
    )


def add_content_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    match = commands.add_parser("match", help="show which first-aid topics a message matches")
    match.add_argument("text", help='the message, or "-" to read one message per line from stdin')
    match.add_argument("--json", action="store_true", help="one JSON object per message")
    content = commands.add_parser("content", help="check the first-aid topics")
    actions = content.add_subparsers(dest="action", required=True)
    actions.add_parser("check", help="validate every topic file")
    review = actions.add_parser(
        "review-list", help="for a clinician: each topic to check, what to check and its sources"
    )
    review.add_argument(
        "--all",
        action="store_true",
        help="also topics already signed off that still carry review notes",
    )
    booklet = actions.add_parser(
        "booklet", help="the printed first-aid booklet (A5 PDF) for a Pos UKK's box"
    )
    booklet.add_argument(
        "--sector",
        choices=[Sector.FISHING.value, Sector.PLANTATION.value, ALL_SECTORS],
        default=ALL_SECTORS,
        help="the trade whose topics and wording it has (default: every topic)",
    )
    booklet.add_argument("--lang", choices=LANGUAGES, default=LANGUAGES[0])
    booklet.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    booklet.add_argument(
        "--group", help="a group's join code: its name and Puskesmas number on the booklet"
    )
    booklet.add_argument("--db", help="database file, for --group (default: the data directory)")
    measure = actions.add_parser("evaluate", help="triage accuracy on a labelled JSONL message set")
    measure.add_argument("path", type=Path)
    measure.add_argument(
        "--misses", action="store_true", help="list every message answered wrongly"
    )
