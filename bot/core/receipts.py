"""A platform's word on a message the bot sent: delivered, read, or failed after all.

A failure sends the message again (as its template when WhatsApp's window had closed), or marks
it failed, or marks the person unreachable, as the adapter's reading of the error says. A receipt
about a message whose platform id is still being written comes back a little later
(`bot.core.inbox.later`); one about a direct answer to someone writing in is not in the outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.base.models import Channel
from bot.core.inbox import later, settle
from bot.core.outbound import (
    DeliveryError,
    NeedsTemplate,
    PermanentFailure,
    RetryLater,
    TemporaryFailure,
    Unreachable,
)
from bot.storage.database import Database, UnitOfWork


class State(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


@dataclass(frozen=True)
class Receipt:
    channel: Channel
    message_id: str
    """The platform's id of the message the bot sent."""
    recipient: str | None
    state: State
    at: dt.datetime
    failure: DeliveryError | None = None
    """For a failed message: the adapter's reading of the platform's error."""


async def take_receipt(database: Database, receipt: Receipt, now: dt.datetime) -> bool:
    """Record `receipt` in the same transaction as the stored update it came in; whether it was
    about a message of the outbox."""
    async with database.unit_of_work() as uow:
        known = await _apply(uow, receipt)
        if known:
            await settle(uow)
        elif receipt.recipient and await uow.outbox.in_flight_to(
            receipt.channel, receipt.recipient, now
        ):
            later()
    return known


async def _apply(uow: UnitOfWork, receipt: Receipt) -> bool:
    """Whether the message is known (a direct answer to someone writing in is not)."""
    match receipt.state:
        case State.DELIVERED:
            return await uow.outbox.mark_delivered(receipt.message_id, receipt.at)
        case State.READ:
            return await uow.outbox.mark_read(receipt.message_id, receipt.at)
        case State.SENT:
            return True  # the delivery job already knows
    outcome = receipt.failure or PermanentFailure("failed")
    user_id = await uow.outbox.failed_after_send(
        receipt.message_id,
        str(outcome),
        again=isinstance(outcome, NeedsTemplate | TemporaryFailure | RetryLater),
        as_template=isinstance(outcome, NeedsTemplate),
    )
    if isinstance(outcome, Unreachable) and user_id is not None:
        await uow.outbox.mark_recipient_unreachable(user_id, receipt.at, str(outcome))
    return user_id is not None
