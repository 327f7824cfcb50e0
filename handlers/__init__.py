"""Conversation flows, one module each; the engine finds them here by name."""

from bot.core.conversation import Flow
from handlers import (
    activities,
    attendance,
    away,
    broadcast,
    broadcast_history,
    browse,
    consent,
    erasure,
    first_aid,
    followup,
    group,
    incident_views,
    language,
    linking,
    menu,
    profile,
    registration,
    report,
    sos,
)

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in (
        registration.FLOW,
        menu.FLOW,
        group.FLOW,
        language.FLOW,
        first_aid.FLOW,
        browse.FLOW,
        sos.FLOW,
        away.FLOW,
        activities.OVERVIEW,
        activities.NEW,
        activities.CHANGE,
        attendance.FLOW,
        report.FLOW,
        followup.FLOW,
        incident_views.FLOW,
        broadcast.FLOW,
        broadcast_history.ANSWER,
        linking.FLOW,
        consent.FLOW,
        erasure.FLOW,
        profile.FLOW,
    )
}
