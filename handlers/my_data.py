"""`/datasaya`: everything the bot keeps about the person, as a short message and a file.

UU 27/2022 gives everyone the right to see their personal data and to get a copy of it. The
message says the essentials in plain words; the attached JSON file holds every row.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.core.conversation import Finish, Outcome, StepContext

EXPORTS = "exports"
LISTED_REPORTS = 5


def _readable(rows: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
    """Messages as their text rather than the delivery job's JSON."""
    for message in rows["outbox"]:
        payload = str(message.pop("payload") or "")
        message["text"] = json.loads(payload).get("text", "") if payload else ""
    return rows


def _export_path(data_dir: Path, user_id: int, stamp: str) -> Path:
    return data_dir / EXPORTS / f"datasaya-{user_id}-{stamp}.json"


def delete_exports_of(data_dir: Path, user_id: int) -> int:
    """Delete the person's `/datasaya` files still on disk (erasure); how many."""
    paths = list(_export_path(data_dir, user_id, "*").parent.glob(f"datasaya-{user_id}-*.json"))
    for path in paths:
        path.unlink(missing_ok=True)
    return len(paths)


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


async def show_my_data(ctx: StepContext, args: str) -> Outcome:
    user = ctx.registered_user
    rows = _readable(await ctx.uow.privacy.everything_about(user.id))
    zone = ZoneInfo(ctx.timezone)
    apps = sorted({user.channel.value} | {str(i["channel"]) for i in rows["user_identities"]})
    roles = dict.fromkeys(ctx.t(f"my_data.role_{grant.role.value}") for grant in ctx.grants)
    reports = [
        ctx.t(
            "my_data.report_line",
            reference=report["reference"],
            status=ctx.t(f"incident.status_{report['status']}"),
        )
        for report in rows["incidents"][-LISTED_REPORTS:]
    ]
    path = _export_path(ctx.settings.data_dir, user.id, f"{ctx.now:%Y%m%d%H%M%S}")
    content = json.dumps(rows, ensure_ascii=False, indent=2, default=str)
    await asyncio.to_thread(_write, path, content)
    summary = ctx.reply(
        "my_data.summary",
        document=str(path),
        name=user.name,
        phone=user.phone or "-",
        language_name=ctx.t(f"language.name_{user.language}"),
        apps=", ".join(ctx.t(f"app.{app}") for app in apps),
        group=ctx.group.name if ctx.group else "-",
        roles=", ".join(roles) or ctx.t("my_data.role_worker"),
        consent_at=user.consent_at.astimezone(zone).strftime("%d-%m-%Y"),
        version=user.consent_version,
        reports="\n".join([str(len(rows["incidents"])), *reports]),
        attended=len(rows["attendance"]),
        messages=len(rows["outbox"]),
    )
    return Finish([summary])
