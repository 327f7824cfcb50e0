"""A large deployment's database, written fast for `bench.data_scale`.

`Database.open` creates the real schema; the rows then go in with plain `executemany`, in one
transaction, the indexes built at the end. Distributions follow how the bot is used: regencies of
very different sizes, groups of a few to a few hundred members, a bot that grew (more people,
reports and messages lately), kader and officers, meetings (mostly monthly) with their attendance,
reports over three years nearly all acted on, and an outbox mostly sent, with a regency-wide
broadcast under way, one paused, follow-ups waiting for their day and some failures.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.base import keys
from bot.base.clock import to_db
from bot.base.models import Reply
from bot.base.settings import Settings
from bot.base.texts import Texts
from bot.core.consent import consent_version
from bot.domain.recurrence import Recurrence, Repeat
from bot.storage.database import Database
from bot.storage.groups import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH
from bot.storage.incidents import reference
from bot.storage.privacy import ERASED_NAME, erased_platform_id
from content.loader import TOPICS_DIR
from scheduler.reminders import DEFAULT_OFFSETS, Offset

NOW = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)
"""Monday 09:00 in Central Indonesia: the moment every query is asked at."""
START = NOW - dt.timedelta(days=3 * 365)
"""The first group was set up three years before."""
USERS = 100_000
GROUPS = 2_000
INCIDENTS = 200_000
OUTBOX = 1_000_000
SEED = 20261123

REGENCIES = {
    "Asia/Jakarta": (
        "Kampar", "Rokan Hilir", "Indragiri Hilir", "Pelalawan", "Siak", "Bengkalis",
        "Muaro Jambi", "Tanjung Jabung Timur", "Labuhanbatu", "Asahan", "Batu Bara", "Ketapang",
        "Sambas", "Kubu Raya", "Kotawaringin Timur", "Seruyan",
    ),
    "Asia/Makassar": (
        "Kota Bontang", "Berau", "Kutai Kartanegara", "Kutai Timur", "Paser", "Kota Balikpapan",
        "Bulungan", "Nunukan", "Kota Tarakan", "Kotabaru", "Tanah Laut", "Tanah Bumbu",
        "Kota Makassar", "Pangkajene dan Kepulauan", "Bone", "Kota Kendari", "Banggai",
        "Kota Bitung",
    ),
    "Asia/Jayapura": ("Kota Ambon", "Maluku Tengah", "Kepulauan Aru", "Merauke", "Mimika"),
}  # fmt: skip
REGENCY_SKEW = 0.7
"""Zipf exponent of the regencies' sizes: the largest has about a tenth of the groups."""
SECTORS = {"nelayan": 45, "sawit": 40, "lainnya": 15}
REPEATS = {"monthly_weekday": 0.85, "weekly": 0.2, "monthly_day": 0.15}
"""Share of the groups holding an activity of each kind (a group may hold several)."""
OUTBOX_SHARES = {"reply": 0.03, "incident_alert": 0.12, "followup": 0.12, "reminder": 0.25}
"""Share of the outbox per kind; broadcasts fill the rest."""
RECORDS_FOR = dt.timedelta(days=365)
"""How far back activities have their attendance recorded and their reminders kept."""
ACTIVE_DAYS_FOR = dt.timedelta(days=150)
SENT_TEXT_KEPT = dt.timedelta(days=30)
"""As scheduler/retention.py: older rows have their payload blanked."""
DELIVERY_LAG = dt.timedelta(minutes=10)
"""Rows due this recently are still pending: the backlog the delivery job works through."""
ESCALATE_AFTER = dt.timedelta(hours=4)
BLOCKED = "Forbidden: bot was blocked by the user"
OUTBOX_COLUMNS = (
    "user_id, group_chat_id, kind, payload, dedupe_key, urgent, not_before, created_at, status,"
    " attempts, sent_at, last_error, broadcast_id, platform_message_id, delivered_at, read_at"
)

Row = tuple[object, ...]


@dataclass
class _Known:
    """What the generator remembers of the rows it wrote, to write the rows that refer to them."""

    group_created: dict[int, dt.datetime] = field(default_factory=dict)
    group_zones: dict[int, str] = field(default_factory=dict)
    regencies: dict[str, list[int]] = field(default_factory=dict)
    """Group ids per regency."""
    members: dict[int, list[int]] = field(default_factory=dict)
    """Active member ids per group."""
    kader: dict[int, list[int]] = field(default_factory=dict)
    officers: dict[str, int] = field(default_factory=dict)
    """One officer per regency."""
    people: list[tuple[int, str, str]] = field(default_factory=list)
    """(user id, channel, platform id) of the people who can still be reached."""
    channels: dict[int, str] = field(default_factory=dict)
    unreachable: dict[int, dt.datetime] = field(default_factory=dict)
    starts: list[tuple[dt.datetime, int, int, str]] = field(default_factory=list)
    """(start, activity id, group id, audience) of the occurrences since `RECORDS_FOR` ago."""


def between(
    rng: random.Random, start: dt.datetime, end: dt.datetime, growth: float = 2.0
) -> dt.datetime:
    """A moment in [start, end); with `growth` > 1 more of them fall late (the bot grew)."""
    share: float = rng.random() ** (1 / growth)
    return start + (end - start) * share


def seconds(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(seconds=rng.uniform(low, high))


def weighted(
    rng: random.Random, items: Sequence[int], weights: Sequence[float], k: int
) -> list[int]:
    return rng.choices(items, cum_weights=list(accumulate(weights)), k=k)


def stamp(moment: dt.datetime | None) -> str | None:
    return to_db(moment) if moment else None


async def create(path: Path) -> None:
    """Write the database of a large deployment at `path` (a new file)."""
    database = await Database.open(path)
    await database.close()
    connection = sqlite3.connect(path, isolation_level=None)
    # A bulk load: no journal, and the indexes built once at the end, as the migrations left them.
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall()
    connection.execute("BEGIN")
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {name}")
    _Generator(connection, random.Random(SEED)).run()
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("COMMIT")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.close()


class _Generator:
    def __init__(self, connection: sqlite3.Connection, rng: random.Random) -> None:
        self.db = connection
        self.rng = rng
        self.known = _Known()
        self.outbox_rows = 0
        self.message_ids = 0
        self.payload = Reply(key="bench", text="Pengingat pertemuan rutin. " * 6).model_dump_json()

    def run(self) -> None:
        self.groups()
        self.users()
        self.roles()
        self.activities()
        self.incidents()
        self.outbox(self.replies(), self.incident_alerts(), self.followups(), self.reminders())
        self.broadcasts()

    def insert(self, table: str, columns: str, rows: Iterable[Row]) -> None:
        marks = ", ".join("?" * len(columns.split(",")))
        self.db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    def quota(self, kind: str) -> int:
        return int(OUTBOX * OUTBOX_SHARES[kind])

    # -- groups and people ------------------------------------------------------------------------
    def groups(self) -> None:
        rng, known = self.rng, self.known
        regencies = [(name, zone) for zone, names in REGENCIES.items() for name in names]
        rng.shuffle(regencies)
        sizes = [1 / rank**REGENCY_SKEW for rank in range(1, len(regencies) + 1)]
        codes: set[str] = set()
        rows = []
        for group_id, index in enumerate(weighted(rng, range(len(regencies)), sizes, GROUPS), 1):
            regency, zone = regencies[index]
            code = ""
            while not code or code in codes:
                code = "".join(rng.choices(JOIN_CODE_ALPHABET, k=JOIN_CODE_LENGTH))
            codes.add(code)
            created = between(rng, START, NOW - dt.timedelta(days=90), growth=1.3)
            known.group_created[group_id] = created
            known.group_zones[group_id] = zone
            known.regencies.setdefault(regency, []).append(group_id)
            sector = rng.choices(list(SECTORS), list(SECTORS.values()))[0]
            district = f"Kecamatan {rng.randint(1, 12)}"
            rows.append((f"Pos UKK {group_id}", sector, f"Desa {group_id}", district, regency,
                         f"Puskesmas {group_id}", zone, code, to_db(created)))  # fmt: skip
        self.insert(
            "pos_groups",
            "name, sector, village, district, regency, puskesmas_name, timezone, join_code,"
            " created_at",
            rows,
        )

    def users(self) -> None:
        """95% are members of a group (group sizes spread wide), 6% left another one before;
        a few blocked the bot, are at sea or had themselves erased."""
        rng, known = self.rng, self.known
        agreed = consent_version(Texts.load(), Settings())
        group_ids = list(known.group_created)
        sizes = [rng.lognormvariate(0, 0.7) for _ in group_ids]
        users: list[Row] = []
        memberships: list[Row] = []
        for user_id, group_id in enumerate(weighted(rng, group_ids, sizes, USERS), 1):
            joined = between(rng, known.group_created[group_id], NOW)
            channel = "telegram" if rng.random() < 0.62 else "whatsapp"
            platform_id = str(7_000_000 + user_id * 37) if channel == "telegram" else ""
            platform_id = platform_id or f"62812{user_id:08d}"
            erased = between(rng, joined, NOW) if rng.random() < 0.002 else None
            unreachable = between(rng, joined, NOW) if rng.random() < 0.03 else None
            away = NOW + seconds(rng, 3600, 3 * 86400) if rng.random() < 0.005 else None
            users.append((
                channel, erased_platform_id(user_id) if erased else platform_id,
                ERASED_NAME if erased else f"Pekerja {user_id}",
                platform_id if channel == "whatsapp" and not erased else None,
                "en" if rng.random() < 0.04 else "id", agreed, to_db(joined), to_db(joined),
                to_db(between(rng, joined, NOW, growth=4.0)), stamp(unreachable), stamp(away),
                stamp(erased),
            ))  # fmt: skip
            known.channels[user_id] = channel
            if unreachable:
                known.unreachable[user_id] = unreachable
            elif not erased:
                known.people.append((user_id, channel, platform_id))
            if rng.random() < 0.06:
                left = between(rng, joined, NOW, growth=1.0)
                memberships.append((user_id, rng.choice(group_ids), to_db(joined), to_db(left)))
                joined = left
            if rng.random() < 0.95:
                memberships.append((user_id, group_id, to_db(joined), None))
                known.members.setdefault(group_id, []).append(user_id)
        self.insert(
            "users",
            "channel, platform_id, name, phone, language, consent_version, consent_at,"
            " created_at, last_seen_at, unreachable_at, away_until, erased_at",
            users,
        )
        self.insert("memberships", "user_id, group_id, joined_at, left_at", memberships)
        self.traces()

    def traces(self) -> None:
        """A session for the people in a conversation, the days each person wrote in, and the
        message ids seen in the last two weeks."""
        rng = self.rng
        sessions: list[Row] = []
        days: list[Row] = []
        seen: list[Row] = []
        for user_id, channel, platform_id in self.known.people:
            if rng.random() < 0.15:
                updated = to_db(NOW - seconds(rng, 0, 86400))
                sessions.append((channel, platform_id, "menu", "main", "id", "{}", "[]", updated))
            active = {
                (NOW - seconds(rng, 0, ACTIVE_DAYS_FOR.total_seconds())).date()
                for _ in range(int(rng.expovariate(1 / 6)))
            }
            days.extend((user_id, day.isoformat()) for day in active)
        for _ in range(100_000):
            self.message_ids += 1
            seen_at = to_db(NOW - seconds(rng, 0, 14 * 86400))
            seen.append(("telegram", str(self.message_ids), seen_at))
        self.insert(
            "sessions",
            "channel, platform_id, flow, step, language, draft, offered, updated_at",
            sessions,
        )
        self.insert("activity_days", "user_id, day", days)
        self.insert("inbound_seen", "channel, message_id, seen_at", seen)

    def roles(self) -> None:
        """Two or three kader per group (some replaced), an officer per regency, officers of
        single groups, three admins."""
        rng, known = self.rng, self.known
        rows: list[Row] = []
        for group_id, members in known.members.items():
            since = to_db(known.group_created[group_id])
            known.kader[group_id] = rng.sample(members, min(len(members), rng.choice((2, 2, 3))))
            rows += [(user_id, "kader", group_id, None, since, None)
                     for user_id in known.kader[group_id]]  # fmt: skip
            if rng.random() < 0.15:
                rows.append((rng.choice(members), "kader", group_id, None, since, to_db(NOW)))
        for regency in known.regencies:
            known.officers[regency] = rng.choice(known.people)[0]
            rows.append((known.officers[regency], "officer", None, regency, to_db(START), None))
        for group_id in rng.sample(list(known.members), 150):
            rows.append((rng.randint(1, USERS), "officer", group_id, None, to_db(START), None))
        rows += [(user_id, "admin", None, None, to_db(START), None) for user_id in (1, 2, 3)]
        self.insert(
            "role_grants",
            "user_id, role, group_id, regency, granted_at, revoked_at, granted_by",
            ((*row, "cli") for row in rows),
        )

    # -- activities -------------------------------------------------------------------------------
    def activities(self) -> None:
        """Meetings (mostly monthly), with what was recorded of the last year's occurrences."""
        rng, known = self.rng, self.known
        activities: list[Row] = []
        records: list[Row] = []
        attendance: list[Row] = []
        rsvps: list[Row] = []
        for group_id, members in known.members.items():
            zone = ZoneInfo(known.group_zones[group_id])
            for repeat, share in REPEATS.items():
                if rng.random() >= share:
                    continue
                day = known.group_created[group_id] + dt.timedelta(days=rng.randint(3, 30))
                first = day.astimezone(zone).replace(
                    hour=rng.choice((8, 9, 15, 16)), minute=0, second=0, microsecond=0
                )
                audience = "kader" if rng.random() < 0.15 else "all"
                cancelled = NOW - seconds(rng, 0, 200 * 86400) if rng.random() < 0.08 else None
                activity_id = len(activities) + 1
                activities.append((group_id, f"Kegiatan {activity_id}", to_db(first), repeat,
                                   audience, to_db(first), stamp(cancelled)))  # fmt: skip
                if cancelled:
                    continue
                rule = Recurrence(Repeat(repeat), first)
                for start in rule.occurrences(NOW - RECORDS_FOR, NOW + dt.timedelta(hours=2)):
                    known.starts.append((start, activity_id, group_id, audience))
                    at = to_db(start)
                    if start < NOW and rng.random() < 0.9:
                        held = rng.random() < 0.92
                        records.append((activity_id, at, int(held), at))
                        present = rng.sample(members, int(len(members) * rng.uniform(0.1, 0.4)))
                        attendance += [(activity_id, at, user_id) for user_id in present if held]
                    if start > NOW - dt.timedelta(days=60):
                        answered = rng.sample(members, len(members) // 5)
                        rsvps += [(activity_id, at, user_id, "yes", at) for user_id in answered]
        self.insert(
            "activities",
            "group_id, title, first_at, repeat, audience, created_at, cancelled_at, kind, place",
            ((*row, "rutin", "balai desa") for row in activities),
        )
        self.insert("activity_records", "activity_id, starts_at, held, recorded_at", records)
        self.insert("attendance", "activity_id, starts_at, user_id", attendance)
        self.insert("rsvps", "activity_id, starts_at, user_id, answer, answered_at", rsvps)

    # -- incident reports -------------------------------------------------------------------------
    def incidents(self) -> None:
        """Reports from the members of each group, more lately; nearly all acted on within a
        day and closed; those nobody acted on were escalated, but the latest."""
        rng, known = self.rng, self.known
        topics = sorted(path.stem for path in TOPICS_DIR.glob("*.yaml"))
        group_ids = list(known.members)
        sizes = [len(known.members[group_id]) for group_id in group_ids]
        reports = sorted(
            (between(rng, known.group_created[group_id], NOW), group_id)
            for group_id in weighted(rng, group_ids, sizes, INCIDENTS)
        )
        rows: list[Row] = []
        events: list[Row] = []
        for incident_id, (created, group_id) in enumerate(reports, 1):
            injury = rng.random() < 0.75
            reporter = rng.choice(known.members[group_id])
            acted = created + dt.timedelta(hours=rng.lognormvariate(1, 1.2))
            ignored = rng.random() < 0.1 or acted > NOW
            escalated = created + ESCALATE_AFTER if ignored else None
            escalated = escalated if escalated and escalated < NOW else None
            closed = (created if ignored else acted) + dt.timedelta(days=rng.uniform(1, 10))
            status = "closed" if closed < NOW else "open" if ignored else "contacted"
            closed_at = to_db(closed) if status == "closed" else None
            rows.append((
                reference(incident_id, created), group_id, reporter,
                "injury" if injury else "near_miss", "self" if injury else "none", "nelayan",
                rng.choice(topics) if injury else None, created.date().isoformat(), "bekerja",
                status, to_db(created), None if ignored else to_db(acted), stamp(escalated),
                closed_at,
            ))  # fmt: skip
            events.append((incident_id, to_db(created), reporter, "submitted"))
            if not ignored:
                events.append((incident_id, to_db(acted), None, "contacted"))
            if rng.random() < 0.1:
                events.append((incident_id, to_db(closed), None, "referred"))
            answered = created + dt.timedelta(days=1, hours=2)
            if injury and answered < NOW and rng.random() < 0.35:
                events.append((incident_id, to_db(answered), reporter, "followup_1"))
            if closed_at:
                events.append((incident_id, closed_at, None, "closed"))
        self.insert(
            "incidents",
            "reference, group_id, reporter_id, kind, victim, occupation, topic_id, occurred_on,"
            " activity, status, created_at, first_action_at, escalated_at, closed_at",
            rows,
        )
        self.insert("incident_events", "incident_id, at, actor_id, action", events)

    # -- the outbox -------------------------------------------------------------------------------
    def message(
        self,
        user_id: int | None,
        kind: str,
        key: str,
        due: dt.datetime,
        *,
        created: dt.datetime | None = None,
        urgent: bool = False,
        broadcast_id: int | None = None,
        chat_id: int | None = None,
        held: bool = False,
    ) -> Row:
        """One outbox row: pending while not due or `held` (a paused broadcast), else mostly
        sent, read on WhatsApp more often than not."""
        rng = self.rng
        created = created or due
        status, sent, error, platform_id, delivered, read = "pending", None, None, None, None, None
        gone = self.known.unreachable.get(user_id or 0)
        if due < NOW - DELIVERY_LAG and not held:
            if gone and gone <= due:
                status, error = "unreachable", BLOCKED
            elif rng.random() < 0.02:
                status, error = "failed", "Bad Request: chat not found"
            else:
                status, sent = "sent", due + seconds(rng, 1, DELIVERY_LAG.total_seconds())
            if sent and self.known.channels.get(user_id or 0) == "whatsapp":
                delivered = sent + seconds(rng, 1, 60)
                read = delivered + seconds(rng, 10, 86400) if rng.random() < 0.6 else None
                recent = created > NOW - SENT_TEXT_KEPT
                platform_id = f"wamid.{rng.getrandbits(64):x}" if recent else None
        payload = "" if status != "pending" and created < NOW - SENT_TEXT_KEPT else self.payload
        self.outbox_rows += 1
        return (user_id, chat_id, kind, payload, key, int(urgent), to_db(due), to_db(created),
                status, int(status != "pending"), stamp(sent), error, broadcast_id, platform_id,
                stamp(delivered), stamp(read))  # fmt: skip

    def outbox(self, *kinds: list[Row]) -> None:
        for rows in kinds:
            self.insert("outbox", OUTBOX_COLUMNS, rows)

    def newest_incidents(self) -> Iterator[tuple[int, int, int, str, dt.datetime]]:
        """(id, group, reporter, kind, created) of the reports, newest first."""
        for incident_id, group_id, reporter, kind, created in self.db.execute(
            "SELECT id, group_id, reporter_id, kind, created_at FROM incidents ORDER BY id DESC"
        ):
            yield incident_id, group_id, reporter, kind, dt.datetime.fromisoformat(created)

    def replies(self) -> list[Row]:
        """Answers the platform refused at first, queued urgent; a few due right now."""
        rng = self.rng
        rows = []
        for number in range(self.quota("reply")):
            user_id, channel, _ = rng.choice(self.known.people)
            self.message_ids += 1
            due = NOW - seconds(rng, 0, 120) if number < 40 else between(rng, START, NOW, 3.0)
            key = f"reply:{channel}:{self.message_ids}:0"
            rows.append(self.message(user_id, "reply", key, due, urgent=True))
        return rows

    def incident_alerts(self) -> list[Row]:
        """Each new report to its group's kader, urgent."""
        rows: list[Row] = []
        for incident_id, group_id, _, _, created in self.newest_incidents():
            if len(rows) >= self.quota("incident_alert"):
                break
            key = f"incident:{incident_id}:alert:to:"
            rows += [self.message(kader, "incident_alert", f"{key}{kader}", created, urgent=True)
                     for kader in self.known.kader.get(group_id, ())]  # fmt: skip
        return rows

    def followups(self) -> list[Row]:
        """ "How is the wound?" a day and three days after each injury report."""
        rows: list[Row] = []
        for incident_id, _, reporter, kind, created in self.newest_incidents():
            if len(rows) >= self.quota("followup"):
                break
            if kind == "injury":
                rows += [self.message(reporter, "followup", f"followup:{incident_id}:{n}:to:"
                                      f"{reporter}", created + dt.timedelta(hours=h),
                                      created=created)
                         for n, h in ((1, 24), (2, 72))]  # fmt: skip
        return rows

    def reminders(self) -> list[Row]:
        """The reminders of the latest occurrences, to every member (or kader) of the group;
        those not due yet are for materialise_reminders to queue."""
        offsets = Offset.parse_all(DEFAULT_OFFSETS)
        rows: list[Row] = []
        for start, activity_id, group_id, audience in sorted(self.known.starts, reverse=True):
            if len(rows) >= self.quota("reminder"):
                break
            people = self.known.kader if audience == "kader" else self.known.members
            for offset in offsets:
                due = offset.remind_at(start)
                event = keys.reminder_at(activity_id, start, offset.spec)
                rows += [self.message(user_id, "reminder", keys.recipient_key(event, user_id), due)
                         for user_id in people[group_id] if due <= NOW]  # fmt: skip
        return rows

    def broadcasts(self) -> None:
        """Kader to their group, officers to their regency, going back in time until the outbox
        is full: first a broadcast to the largest regency still being sent, then a paused one."""
        rng, known = self.rng, self.known
        linked = rng.sample(list(known.members), GROUPS * 3 // 10)
        chats = {group_id: chat_id for chat_id, group_id in enumerate(linked, 1)}
        self.insert(
            "group_chats",
            "id, group_id, channel, chat_ref, title, language, linked_at",
            ((chat, group, "telegram", f"-100{chat}", f"Grup {group}", "id", to_db(START))
             for group, chat in chats.items()),
        )  # fmt: skip
        largest = max(known.regencies, key=lambda name: len(known.regencies[name]))
        broadcasts: list[Row] = []
        rows: list[Row] = []
        when = NOW - dt.timedelta(minutes=20)
        while self.outbox_rows < OUTBOX:
            broadcast_id = len(broadcasts) + 1
            status = {1: "sending", 2: "paused"}.get(broadcast_id, "done")
            if broadcast_id == 1 or rng.random() < 0.25:
                regency = largest if broadcast_id == 1 else rng.choice(list(known.regencies))
                author, groups = known.officers[regency], known.regencies[regency]
                audience = {"scope": "regency", "values": [regency]}
            else:
                group_id = rng.choice(list(known.kader))
                author, groups = known.kader[group_id][0], [group_id]
                audience = {"scope": "groups", "values": [str(group_id)]}
            people = sorted(u for g in groups for u in known.members.get(g, ()) if u != author)
            people = people[: OUTBOX - self.outbox_rows]
            sent = {1: 0.4, 2: 0.7}.get(broadcast_id, 1.0) * len(people)
            for number, user_id in enumerate(people):
                key = f"bc:{broadcast_id}:to:{user_id}"
                held = number >= sent
                rows.append(self.message(user_id, "broadcast", key, when, held=held,
                                         broadcast_id=broadcast_id))  # fmt: skip
            for chat_id in (chats[g] for g in groups if g in chats):
                if self.outbox_rows < OUTBOX:
                    key = f"bc:{broadcast_id}:chat:{chat_id}"
                    rows.append(self.message(None, "broadcast", key, when, chat_id=chat_id,
                                             broadcast_id=broadcast_id))  # fmt: skip
            finished = when + dt.timedelta(hours=1) if status == "done" else None
            broadcasts.append((broadcast_id, author, json.dumps(audience), "Hati-hati di laut.",
                               status, to_db(when), to_db(when), to_db(when), stamp(finished),
                               people[-1] if people else 0))  # fmt: skip
            when -= dt.timedelta(days=2) if broadcast_id == 1 else seconds(rng, 0, 2 * 86400)
        self.insert(
            "broadcasts",
            "id, author_id, audience, text, status, created_at, send_at, started_at,"
            " finished_at, queued_through",
            broadcasts,
        )
        self.db.execute("UPDATE broadcasts SET queued_all = 1")
        self.outbox(rows)
