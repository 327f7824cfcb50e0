"""Conversation flows, one module each; the engine gets them, and the few entry points it needs,
as `CONVERSATIONS` (the app hands it over: nothing below imports `handlers`)."""

from bot.core.conversation import Conversations, Flow
from handlers import (
    activities,
    attendance,
    away,
    broadcast,
    broadcast_history,
    browse,
    cards,
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
    standing,
)
from handlers.commands import run_command, start
from handlers.emergency import emergency_card
from handlers.group_chats import on_chat_event
from handlers.linking import start_linking

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in (
        registration.FLOW,
        menu.FLOW,
        group.FLOW,
        language.FLOW,
        first_aid.FLOW,
        browse.FLOW,
        cards.FLOW,
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

CONVERSATIONS = Conversations(
    flows=FLOWS,
    run_command=run_command,
    start=start,
    standing=standing.standing_handler,
    on_chat_event=on_chat_event,
    newcomer_first_aid=first_aid.newcomer_first_aid,
    newcomer_code=registration.newcomer_code,
    short_answer=first_aid.short_answer,
    emergency_card=lambda ctx: emergency_card(ctx, None, []),
    start_sos=sos.start_sos,
    start_linking=start_linking,
)
