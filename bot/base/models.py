"""Channel-neutral messages: what an adapter hands the engine and what the engine hands back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

MAX_TEXT_CHARS = 4096
"""Telegram and WhatsApp both cap a text message at 4096 characters."""

MAX_CAPTION_CHARS = 1024
"""Telegram's and WhatsApp's limit for the caption of a picture."""

MAX_TOKEN_BYTES = 64
"""Telegram's callback_data limit, the tightest of our channels."""


class Channel(StrEnum):
    TERMINAL = "terminal"
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


def _fits_token_bytes(token: str) -> str:
    if len(token.encode("utf-8")) > MAX_TOKEN_BYTES:
        raise ValueError(f"choice token longer than {MAX_TOKEN_BYTES} bytes")
    return token


ChoiceToken = Annotated[
    str, StringConstraints(min_length=1, pattern=r"^[\w:.\-]+$"), AfterValidator(_fits_token_bytes)
]
PlatformId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
_CHOICE_TOKEN: TypeAdapter[str] = TypeAdapter(ChoiceToken)


def valid_choice_token(data: object) -> str | None:
    """A platform's button data if it is a well-formed choice token, else None: the same rule
    `Inbound` applies, so an adapter never builds an inbound the model then refuses."""
    try:
        return _CHOICE_TOKEN.validate_python(data)
    except ValidationError:
        return None


class Location(BaseModel):
    model_config = ConfigDict(frozen=True)

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Unreadable(StrEnum):
    """What a person can send that the bot cannot read: it answers saying what it can read."""

    VOICE = "voice"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"
    REACTION = "reaction"
    EDITED = "edited"
    """A message changed after it was sent: the bot already answered the first version."""
    FOREIGN_CONTACT = "foreign_contact"
    """Someone else's contact card, where the bot asked for the person's own number."""
    PHOTO_FAILED = "photo_failed"
    """A photo that could not be downloaded."""
    OTHER = "other"


class Inbound(BaseModel):
    """One thing a person sent: exactly one of text, choice, location, contact phone, photo,
    voice note, or something the bot cannot read."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    user_ref: PlatformId
    message_id: PlatformId
    received_at: dt.datetime
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)] | None = None
    choice: ChoiceToken | None = None
    location: Location | None = None
    contact_phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    photo_ref: Annotated[str, StringConstraints(max_length=512)] | None = None
    voice_ref: Annotated[str, StringConstraints(max_length=512)] | None = None
    """A voice note kept on disk: a report keeps it; anywhere else it is `unreadable`."""
    unreadable: Unreadable | None = None

    @model_validator(mode="after")
    def _exactly_one_payload(self) -> Self:
        payloads = (
            self.text,
            self.choice,
            self.location,
            self.contact_phone,
            self.photo_ref,
            self.voice_ref,
            self.unreadable,
        )
        if sum(value is not None for value in payloads) != 1:
            raise ValueError(
                "an inbound carries exactly one of text, choice, location, contact, photo,"
                " voice, unreadable"
            )
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        return self


class ChatEventKind(StrEnum):
    ADDED = "added"
    """The bot was added to a group chat."""
    COMMAND = "command"
    """Someone typed a command there (`text`), such as `/hubungkan ABC123`."""
    REMOVED = "removed"
    """The bot was removed from the chat, or the chat is gone."""
    MOVED = "moved"
    """The chat got a new id (`new_chat_ref`): a Telegram group that became a supergroup."""


class ChatEvent(BaseModel):
    """Something that happened in a group chat. Group chats never hold a conversation: the bot
    only links them to a Pos UKK and posts reminders and broadcasts there."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    chat_ref: PlatformId
    kind: ChatEventKind
    received_at: dt.datetime
    user_ref: PlatformId | None = None
    """Who did it, where the platform says."""
    title: Annotated[str, StringConstraints(max_length=128)] = ""
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)] = ""
    new_chat_ref: PlatformId | None = None


class Choice(BaseModel):
    """An option the person can tap, or answer by typing its number or its label."""

    model_config = ConfigDict(frozen=True)

    token: ChoiceToken
    label: Annotated[str, StringConstraints(min_length=1, max_length=24)]


class Template(BaseModel):
    """A message the platform only accepts as a pre-approved template (WhatsApp outside the
    24-hour window): the template's name and language, and the values of its placeholders."""

    model_config = ConfigDict(frozen=True)

    name: str
    language: str
    params: tuple[str, ...] = ()


class Reply(BaseModel):
    """One message back to the person; `key` names the catalog text it came from."""

    model_config = ConfigDict(frozen=True)

    key: str
    text: str
    choices: tuple[Choice, ...] = ()
    request: Literal["location", "contact"] | None = None
    request_label: str | None = None
    """The label of the platform's share-location / share-phone button, when `request` is set."""
    document: str | None = None
    """A file on disk (an export) sent after the text, as a document."""
    photo: str | None = None
    """A picture on disk (a broadcast's photo) sent before the text."""
    caption: bool = False
    """The text is the photo's caption: one message, the picture with its words under it (a
    first-aid card). Without a photo, or with a text too long for a caption, it is plain text."""
    replaces: str | None = None
    """The platform's id of an earlier message this one updates in place, where the platform
    can edit messages (a broadcast's progress); elsewhere it is sent as a new message."""
    template: Template | None = None
    """Set by the delivery job when the platform needs a template instead of free text."""
    language: str | None = None
    """The language of `text`, for the few words an adapter adds around choices (a WhatsApp
    list's button and headings); None where the reply has no choices to frame."""


class Unsent(BaseModel):
    """The replies to one inbound, not sent yet: kept with the update until they are, so a
    crash between handling it and answering it loses no answer."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    user_ref: PlatformId
    message_id: PlatformId
    replies: tuple[Reply, ...]

    @classmethod
    def answering(cls, inbound: Inbound, replies: Sequence[Reply]) -> Unsent:
        return cls(
            channel=inbound.channel,
            user_ref=inbound.user_ref,
            message_id=inbound.message_id,
            replies=tuple(replies),
        )
