"""The emergency card: who to call now, local numbers of the group, and the first actions."""

from __future__ import annotations

from bot.base.models import Reply
from bot.core.conversation import StepContext
from content.knowledge import pick
from content.schema import Sector, Topic, TopicStep

FIRST_ACTIONS = 3


def reader_sector(ctx: StepContext) -> Sector:
    """The trade whose step wording fits the reader: their group's, else the general words."""
    return ctx.group.sector if ctx.group else Sector.GENERAL


def reader_steps(ctx: StepContext, topic: Topic) -> list[TopicStep]:
    """The topic's steps as this reader sees them: everyone's, plus their trade's variants."""
    return topic.steps_for(reader_sector(ctx))


def emergency_card(ctx: StepContext, topic: Topic | None, signs: list[str]) -> Reply:
    """Call 119 / 112 (115 at sea), the group's own numbers when set, and the 3 first actions."""
    group = ctx.group
    lines: list[str] = []
    at_sea = (topic is not None and topic.at_sea) or (
        group is not None and group.sector == "nelayan"
    )
    if at_sea:
        lines.append(ctx.t("emergency.sea"))
    if group is not None:
        if group.puskesmas_phone:
            lines.append(
                ctx.t("emergency.puskesmas", name=group.puskesmas_name, phone=group.puskesmas_phone)
            )
        if group.ambulance_phone:
            lines.append(ctx.t("emergency.ambulance", phone=group.ambulance_phone))
        if group.hospital_name:
            lines.append(
                ctx.t(
                    "emergency.hospital",
                    name=group.hospital_name,
                    phone=group.hospital_phone or "-",
                )
            )
    if signs:
        labels = ", ".join(pick(ctx.knowledge.sign_label(sign), ctx.language) for sign in signs)
        lines.append(ctx.t("emergency.signs", signs=labels))
    if topic is not None:
        actions = "\n".join(
            f"{n}. {pick(step, ctx.language)}"
            for n, step in enumerate(reader_steps(ctx, topic)[:FIRST_ACTIONS], 1)
        )
    else:
        actions = ctx.t("emergency.generic_actions")
    local = "".join(f"{line}\n" for line in lines)
    return ctx.reply("emergency.card", local=local, actions=actions)
