"""Reporting an injury or a near miss: one short question at a time, then a summary to confirm.

Every question takes a tap or typed words; a wrong answer is asked again and nothing given so far
is lost (the draft lives in the session, so a restart or a dropped connection resumes here). Any
typed answer that reads as an emergency shows the emergency card and alerts the kader at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from zoneinfo import ZoneInfo

from bot.base.models import Reply
from bot.core.conversation import Answer, Finish, Flow, Goto, Outcome, Retry, Step, StepContext
from bot.domain.dates import parse_past
from bot.domain.incident_codes import (
    ACTIVITIES,
    BODY_PARTS,
    COMMON_TOPICS,
    COMMUTE,
    EMPLOYMENT,
    OTHER,
    PLACES,
)
from bot.domain.incident_words import read_incident_words
from content.knowledge import pick
from content.schema import Sector
from handlers.first_aid import TOPIC_TOKEN, bullet_list, topic_choice
from handlers.incident_alerts import raise_alarm, submit
from handlers.report_draft import ReportDraft
from handlers.report_words import confirmed, take_words, words_note

NAME_MAX, TEXT_MAX, PLACE_MAX = 60, 300, 120
AGE_MIN, AGE_MAX = 5, 110

Ask = Callable[[StepContext], Awaitable[Reply]]
Handle = Callable[[StepContext, Answer], Awaitable[Outcome]]


def _draft(ctx: StepContext) -> ReportDraft:
    return ctx.draft_as(ReportDraft)


def _sector(ctx: StepContext) -> Sector:
    return ctx.group.sector if ctx.group else Sector.GENERAL


def _sector_first(ctx: StepContext, table: Mapping[Sector, tuple[str, ...]]) -> tuple[str, ...]:
    """The codes of the trade the person's words name first, then their own group's."""
    own = _sector(ctx)
    named = _draft(ctx).sector
    said = Sector(named) if named else own
    return tuple(dict.fromkeys((*table[said], *table[own])))


ALL_ACTIVITIES = (*dict.fromkeys(a for codes in ACTIVITIES.values() for a in codes), COMMUTE, OTHER)
ALL_PLACES = tuple(dict.fromkeys(p for codes in PLACES.values() for p in codes))


def _near_miss(ctx: StepContext) -> bool:
    return _draft(ctx).who == "none"


def _applies(ctx: StepContext, step: str) -> bool:
    """Whether `step` is asked in this report (the summary can still reach any that apply)."""
    draft = _draft(ctx)
    if step == "name":
        return draft.who == "other"
    if step in ("sex", "age", "employment", "body", "first_aid", "stopped"):
        return not _near_miss(ctx)
    if step == "danger":
        topic = draft.topic
        return not _near_miss(ctx) and topic is not None
    return True


def _already_known(ctx: StepContext, step: str) -> bool:
    """Skipped on the way forward: pre-filled from first aid or the person's last report."""
    return step in _draft(ctx).known


FILLS = {
    "who": "who", "name": "victim_name", "sex": "sex", "age": "age", "employment": "employment",
    "what": "what_text", "body": "body", "when": "occurred_on", "where": "place",
    "activity": "activity", "danger": "danger", "first_aid": "first_aid", "stopped": "stopped",
    "photo": "photo",
}  # fmt: skip
"""Each question, in the order asked, and the draft key its answer fills."""
ORDER = tuple(FILLS)


def after(ctx: StepContext, step: str, replies: list[Reply] | None = None) -> Goto:
    """The next question to ask; while correcting, only questions not answered yet."""
    confirmed(_draft(ctx), step)
    fixing = bool(_draft(ctx).fixing)
    for following in ORDER[ORDER.index(step) + 1 :]:
        if not _applies(ctx, following) or _already_known(ctx, following):
            continue
        if fixing and _draft(ctx).answered(FILLS[following]):
            continue
        return Goto(following, replies or [])
    _draft(ctx).forget("fixing")
    return Goto("summary", replies or [])


def guarded(step: str, handle: Handle) -> Handle:
    """Before the answer is used: if typed words read as an emergency, alert now."""

    async def checked(ctx: StepContext, answer: Answer) -> Outcome:
        alarm: list[Reply] = []
        if answer.text and not _draft(ctx).alerted:
            triage = ctx.knowledge.matcher.triage(answer.text)
            if triage.emergency:
                topic_id = triage.topics[0] if triage.topics else _draft(ctx).topic
                alarm = await raise_alarm(ctx, topic_id, triage.danger_signs, answer.text)
        outcome = await handle(ctx, answer)
        if not alarm:
            return outcome
        if isinstance(outcome, Retry):
            return Goto(step, [*alarm, outcome.reply])
        if isinstance(outcome, Goto):
            return Goto(outcome.step, [*alarm, *outcome.replies])
        return outcome

    return checked


def _picked(answer: Answer, prefix: str, allowed: tuple[str, ...]) -> str | None:
    value = answer.choice.removeprefix(prefix) if answer.choice else None
    return value if value in allowed else None


# -- who ---------------------------------------------------------------------------------------
async def ask_who(ctx: StepContext) -> Reply:
    choices = [ctx.choice(f"rep:who:{w}", f"report.who_{w}") for w in ("self", "other", "none")]
    return ctx.reply("report.ask_who", choices=choices)


async def take_who(ctx: StepContext, answer: Answer) -> Outcome:
    who = _picked(answer, "rep:who:", ("self", "other", "none"))
    if who is None:
        return Retry(ctx.reply("common.pick_option"))
    _draft(ctx).who = who
    known: list[str] = []
    if who == "self":
        last = await ctx.uow.incidents.last_about_self(ctx.registered_user.id)
        if last is not None:  # asked once; the summary shows them and they can be corrected
            _draft(ctx).sex = last.victim_sex
            _draft(ctx).age = last.victim_age
            _draft(ctx).employment = last.employment
            known = ["sex", "age", "employment"]
    _draft(ctx).known = [*_draft(ctx).known, *known]
    if who == "none":
        _draft(ctx).forget("topic")
        _draft(ctx).forget("body")
        _draft(ctx).from_words = [s for s in _draft(ctx).from_words if s != "body"]
    return after(ctx, "who")


async def ask_name(ctx: StepContext) -> Reply:
    return ctx.reply("report.ask_name")


async def take_name(ctx: StepContext, answer: Answer) -> Outcome:
    name = " ".join((answer.text or "").split())
    if not 2 <= len(name) <= NAME_MAX:
        return Retry(ctx.reply("report.name_invalid", max=NAME_MAX))
    _draft(ctx).victim_name = name
    return after(ctx, "name")


# -- the person: sex, age, work status ----------------------------------------------------------
async def ask_sex(ctx: StepContext) -> Reply:
    choices = [ctx.choice("rep:sex:L", "report.sex_L"), ctx.choice("rep:sex:P", "report.sex_P")]
    return ctx.reply("report.ask_sex", choices=choices)


async def take_sex(ctx: StepContext, answer: Answer) -> Outcome:
    sex = _picked(answer, "rep:sex:", ("L", "P"))
    if sex is None and answer.text:
        sex = {"l": "L", "lk": "L", "pria": "L", "p": "P", "pr": "P", "wanita": "P"}.get(
            answer.text.strip().lower()
        )
    if sex is None:
        return Retry(ctx.reply("common.pick_option"))
    _draft(ctx).sex = sex
    return after(ctx, "sex")


async def ask_age(ctx: StepContext) -> Reply:
    return ctx.reply("report.ask_age", choices=[ctx.choice("rep:age:unknown", "report.unknown")])


async def take_age(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "rep:age:unknown":
        _draft(ctx).age = None
        return after(ctx, "age")
    digits = "".join(ch for ch in (answer.text or "") if ch.isdigit())
    if not digits or not AGE_MIN <= int(digits[:3]) <= AGE_MAX:
        return Retry(ctx.reply("report.age_invalid"))
    _draft(ctx).age = int(digits[:3])
    return after(ctx, "age")


def one_of(step: str, prefix: str, codes: tuple[str, ...]) -> tuple[Ask, Handle]:
    """A question answered by one of `codes` (labels `incident.<step>_<code>`), tapped or typed."""

    async def ask(ctx: StepContext) -> Reply:
        choices = [ctx.choice(f"{prefix}{code}", f"incident.{step}_{code}") for code in codes]
        return ctx.reply(f"report.ask_{step}", choices=choices)

    async def take(ctx: StepContext, answer: Answer) -> Outcome:
        value = _picked(answer, prefix, codes)
        if value is None:
            return Retry(ctx.reply("common.pick_option"))
        setattr(_draft(ctx), FILLS[step], value)
        return after(ctx, step)

    return ask, take


# -- what happened -------------------------------------------------------------------------------
async def ask_what(ctx: StepContext) -> Reply:
    if _near_miss(ctx):
        return ctx.reply("report.ask_what_near_miss")
    topics = [ctx.knowledge.topics[t] for t in COMMON_TOPICS[_sector(ctx)]]
    return ctx.reply("report.ask_what", choices=[topic_choice(ctx, t) for t in topics])


async def take_what(ctx: StepContext, answer: Answer) -> Outcome:
    """A topic button, or the person's own words matched by triage (kept as they wrote them)."""
    if answer.choice and answer.choice.startswith(TOPIC_TOKEN):
        topic_id = answer.choice.removeprefix(TOPIC_TOKEN)
        if topic_id not in ctx.knowledge.topics:
            return Retry(ctx.reply("common.pick_option"))
        _set_topic(ctx, topic_id)
        _draft(ctx).what_text = ""
        return after(ctx, "what")
    text = " ".join((answer.text or "").split())[:TEXT_MAX]
    if len(text) < 2:
        return Retry(ctx.reply("report.what_invalid"))
    _draft(ctx).what_text = text
    topics = [] if _near_miss(ctx) else ctx.knowledge.matcher.triage(text).topics
    _set_topic(ctx, topics[0] if topics else None)
    take_words(ctx, _draft(ctx), text)
    if _near_miss(ctx) and "body" in _draft(ctx).from_words:
        _draft(ctx).forget("body")
        _draft(ctx).from_words = [s for s in _draft(ctx).from_words if s != "body"]
    return after(ctx, "what")


def _set_topic(ctx: StepContext, topic_id: str | None) -> None:
    """A different injury: the danger-sign answer was about the old one, so it is asked again."""
    if topic_id != _draft(ctx).topic:
        _draft(ctx).forget("danger")
    if topic_id is None:
        _draft(ctx).forget("topic")
    else:
        _draft(ctx).topic = topic_id


# -- when and where ------------------------------------------------------------------------------
def _local_now(ctx: StepContext) -> dt.datetime:
    zone = ctx.timezone
    return ctx.now.astimezone(ZoneInfo(zone))


async def ask_when(ctx: StepContext) -> Reply:
    choices = [ctx.choice(f"rep:when:{w}", f"report.when_{w}") for w in ("now", "today", "yday")]
    return ctx.reply("report.ask_when", choices=choices)


async def take_when(ctx: StepContext, answer: Answer) -> Outcome:
    """Just now, today, yesterday, or a typed date (and time) that has already passed."""
    local = _local_now(ctx)
    day, time = None, None
    match answer.choice:
        case "rep:when:now":
            day, time = local.date(), local.time().replace(second=0, microsecond=0)
        case "rep:when:today":
            day = local.date()
        case "rep:when:yday":
            day = local.date() - dt.timedelta(days=1)
        case _:
            parsed = parse_past(answer.text or "", local)
            if parsed.date is None:
                problem = parsed.problem.value if parsed.problem else "invalid"
                return Retry(ctx.reply(f"report.when_{problem}"))
            day, time = parsed.date, parsed.time
    _draft(ctx).occurred_on = day.isoformat()
    _draft(ctx).occurred_time = time.strftime("%H:%M") if time else None
    return after(ctx, "when")


async def ask_where(ctx: StepContext) -> Reply:
    places = _sector_first(ctx, PLACES)
    choices = [ctx.choice(f"rep:at:{p}", f"incident.place_{p}") for p in places]
    return ctx.reply("report.ask_where", choices=choices, request="location")


async def take_where(ctx: StepContext, answer: Answer) -> Outcome:
    """A shared location, a place button, or a typed place ("blok 12", "dermaga")."""
    places = ALL_PLACES
    if answer.location is not None:
        lat, lon = answer.location.latitude, answer.location.longitude
        _draft(ctx).lat = lat
        _draft(ctx).lon = lon
        _draft(ctx).place = ctx.t("report.place_shared")
        return after(ctx, "where")
    place = _picked(answer, "rep:at:", places)
    if place is not None:
        _draft(ctx).place = ctx.t(f"incident.place_{place}")
        _draft(ctx).lat = None
        _draft(ctx).lon = None
        return after(ctx, "where")
    text = " ".join((answer.text or "").split())
    if not 2 <= len(text) <= PLACE_MAX:
        return Retry(ctx.reply("report.where_invalid", max=PLACE_MAX))
    _draft(ctx).place = text
    _draft(ctx).lat = None
    _draft(ctx).lon = None
    return after(ctx, "where")


async def ask_activity(ctx: StepContext) -> Reply:
    codes = (*_sector_first(ctx, ACTIVITIES), COMMUTE, OTHER)
    choices = [ctx.choice(f"rep:act:{a}", f"incident.activity_{a}") for a in codes]
    return ctx.reply("report.ask_activity", choices=choices)


async def take_activity(ctx: StepContext, answer: Answer) -> Outcome:
    """A work button, or typed words, kept as typed with the work they name ("waktu panen")."""
    activity = _picked(answer, "rep:act:", ALL_ACTIVITIES)
    text = ""
    if activity is None:
        text = " ".join((answer.text or "").split())[:PLACE_MAX]
        if len(text) < 2:
            return Retry(ctx.reply("common.pick_option"))
        activity = read_incident_words(text).activity or OTHER
    _draft(ctx).activity = activity
    _draft(ctx).activity_text = text
    return after(ctx, "activity")


# -- how bad, and what was done --------------------------------------------------------------------
async def ask_danger(ctx: StepContext) -> Reply:
    topic = ctx.knowledge.topics[str(_draft(ctx).topic)]
    signs = bullet_list([pick(s, ctx.language) for s in topic.danger_signs])
    choices = [
        ctx.choice("rep:danger:yes", "common.answer_yes"),
        ctx.choice("rep:danger:no", "common.answer_no"),
    ]
    return ctx.reply("report.ask_danger", choices=choices, signs=signs)


async def take_danger(ctx: StepContext, answer: Answer) -> Outcome:
    """A yes is an emergency: the card and the alert go now, the report carries on."""
    if answer.choice not in ("rep:danger:yes", "rep:danger:no"):
        return Retry(ctx.reply("common.pick_yes_no"))
    danger = answer.choice == "rep:danger:yes"
    _draft(ctx).danger = danger
    replies: list[Reply] = []
    if danger and not _draft(ctx).alerted:
        replies = await raise_alarm(ctx, str(_draft(ctx).topic), [], "")
    return after(ctx, "danger", replies)


async def ask_first_aid(ctx: StepContext) -> Reply:
    return ctx.reply("report.ask_first_aid", choices=[ctx.choice("rep:fa:none", "report.none")])


async def take_first_aid(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice == "rep:fa:none":
        _draft(ctx).first_aid = ""
        return after(ctx, "first_aid")
    text = " ".join((answer.text or "").split())[:TEXT_MAX]
    if len(text) < 2:
        return Retry(ctx.reply("report.first_aid_invalid"))
    _draft(ctx).first_aid = text
    return after(ctx, "first_aid")


async def ask_stopped(ctx: StepContext) -> Reply:
    choices = [
        ctx.choice("rep:stop:yes", "common.answer_yes"),
        ctx.choice("rep:stop:no", "common.answer_no"),
    ]
    return ctx.reply("report.ask_stopped", choices=choices)


async def take_stopped(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice not in ("rep:stop:yes", "rep:stop:no"):
        return Retry(ctx.reply("common.pick_yes_no"))
    _draft(ctx).stopped = answer.choice == "rep:stop:yes"
    return after(ctx, "stopped")


async def ask_photo(ctx: StepContext) -> Reply:
    return ctx.reply("report.ask_photo", choices=[ctx.choice("rep:photo:skip", "report.skip")])


async def take_photo(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.photo_ref is not None:
        _draft(ctx).photo = answer.photo_ref
    elif answer.choice == "rep:photo:skip":
        _draft(ctx).photo = None
    else:
        return Retry(ctx.reply("report.photo_invalid"))
    return after(ctx, "photo")


# -- summary -------------------------------------------------------------------------------------
FIXABLE = ("who", "name", "sex", "age", "employment", "what", "body", "when", "where", "activity")


def _summary_text(ctx: StepContext) -> str:
    """The report as the person gave it, one field a line, in their language."""
    draft, lines = _draft(ctx), []
    who = str(draft.who)
    person = draft.victim_name if who == "other" else ctx.t(f"report.who_{who}")
    lines.append(ctx.t("report.line_who", value=person))
    if not _near_miss(ctx):
        sex = ctx.t(f"report.sex_{draft.sex}") if draft.sex else "-"
        age = draft.age or ctx.t("report.unknown")
        employment = ctx.t(f"incident.employment_{draft.employment}")
        lines.append(ctx.t("report.line_person", sex=sex, age=age, employment=employment))
    topic = draft.topic
    what = pick(ctx.knowledge.topics[str(topic)].title, ctx.language) if topic else ""
    own = str(draft.what_text or "")
    lines.append(ctx.t("report.line_what", value=" - ".join(v for v in (what, own) if v) or "-"))
    if not _near_miss(ctx):
        lines.append(ctx.t("report.line_body", value=ctx.t(f"incident.body_{draft.body}")))
    when = dt.date.fromisoformat(str(draft.occurred_on)).strftime("%d-%m-%Y")
    if draft.occurred_time:
        when += f" {draft.occurred_time}"
    lines.append(ctx.t("report.line_when", value=when))
    lines.append(ctx.t("report.line_where", value=draft.place))
    activity = draft.activity_text or ctx.t(f"incident.activity_{draft.activity}")
    lines.append(ctx.t("report.line_activity", value=activity))
    if not _near_miss(ctx):
        yes_no = {True: ctx.t("common.answer_yes"), False: ctx.t("common.answer_no")}
        if draft.answered("danger"):
            lines.append(ctx.t("report.line_danger", value=yes_no[bool(draft.danger)]))
        lines.append(ctx.t("report.line_first_aid", value=draft.first_aid or "-"))
        lines.append(ctx.t("report.line_stopped", value=yes_no[bool(draft.stopped)]))
    if draft.photo:
        lines.append(ctx.t("report.line_photo"))
    if draft.voice:
        lines.append(ctx.t("report.line_voice"))
    note = words_note(ctx, draft)
    if note:
        lines.append(note)
    return "\n".join(lines)


async def ask_summary(ctx: StepContext) -> Reply:
    choices = [
        ctx.choice("rep:send", "report.send"),
        ctx.choice("rep:send_anon", "report.send_anonymous"),
        ctx.choice("rep:fix", "report.fix"),
        ctx.choice("rep:drop", "report.drop"),
    ]
    return ctx.reply("report.summary", choices=choices, lines=_summary_text(ctx))


async def take_summary(ctx: StepContext, answer: Answer) -> Outcome:
    if answer.choice in ("rep:send", "rep:send_anon"):
        _draft(ctx).anonymous = answer.choice == "rep:send_anon"
        return Finish(await submit(ctx))
    if answer.choice == "rep:fix":
        return Goto("fix")
    if answer.choice == "rep:drop":
        return Finish([ctx.reply("report.dropped")])
    return Retry(ctx.reply("common.pick_option"))


async def ask_fix(ctx: StepContext) -> Reply:
    fields = [f for f in FIXABLE if _applies(ctx, f)]
    choices = [ctx.choice(f"rep:fix:{f}", f"report.field_{f}") for f in fields]
    return ctx.reply(
        "report.ask_fix", choices=[*choices, ctx.choice("rep:fix:back", "common.back")]
    )


async def take_fix(ctx: StepContext, answer: Answer) -> Outcome:
    """Which answer to correct; after it the summary comes back with everything else kept."""
    if answer.choice == "rep:fix:back":
        return Goto("summary")
    field = _picked(answer, "rep:fix:", FIXABLE)
    if field is None or not _applies(ctx, field):
        return Retry(ctx.reply("common.pick_option"))
    _draft(ctx).fixing = True
    return Goto(field)


def _steps() -> dict[str, Step]:
    plain = {"summary": Step(ask_summary, take_summary), "fix": Step(ask_fix, take_fix)}
    asked: dict[str, tuple[Ask, Handle]] = {
        "who": (ask_who, take_who),
        "name": (ask_name, take_name),
        "sex": (ask_sex, take_sex),
        "age": (ask_age, take_age),
        "employment": one_of("employment", "rep:emp:", EMPLOYMENT),
        "what": (ask_what, take_what),
        "body": one_of("body", "rep:body:", BODY_PARTS),
        "when": (ask_when, take_when),
        "where": (ask_where, take_where),
        "activity": (ask_activity, take_activity),
        "danger": (ask_danger, take_danger),
        "first_aid": (ask_first_aid, take_first_aid),
        "stopped": (ask_stopped, take_stopped),
        "photo": (ask_photo, take_photo),
    }
    guarded_steps = {name: Step(ask, guarded(name, take)) for name, (ask, take) in asked.items()}
    steps = {**guarded_steps, **plain}
    return {name: Step(step.ask, keeping_voice(step.handle)) for name, step in steps.items()}


def keeping_voice(handle: Handle) -> Handle:
    """A voice note at any question is kept with the report, and the question asked again."""

    async def kept(ctx: StepContext, answer: Answer) -> Outcome:
        if answer.voice_ref is None:
            return await handle(ctx, answer)
        _draft(ctx).voice = answer.voice_ref
        return Retry(ctx.reply("report.voice_kept"))

    return kept


FLOW = Flow(name="report", first="who", steps=_steps(), draft=ReportDraft, takes_voice=True)
