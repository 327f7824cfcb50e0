"""Conversation flows, one module each; the engine finds them here by name."""

from bot.conversation import Flow
from handlers import group, language, menu, registration

FLOWS: dict[str, Flow] = {
    flow.name: flow for flow in (registration.FLOW, menu.FLOW, group.FLOW, language.FLOW)
}
