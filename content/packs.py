"""Card packs (`packs.yaml`): the topics a worker of one trade saves on the phone as cards
before going where there is no signal."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from content.loader import ContentError
from content.schema import TOPIC_ID_PATTERN, Sector, ShortLocalized, Topic
from content.yaml_file import safe_load

PACKS_FILE = Path(__file__).parent / "packs.yaml"
MAX_CARDS = 15
"""Each card is one picture message: a pack stays small enough to send in one go."""


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=TOPIC_ID_PATTERN)]
    sector: Sector
    """The trade it is for: its cards use that trade's step wording."""
    title: ShortLocalized
    topics: list[Annotated[str, StringConstraints(pattern=TOPIC_ID_PATTERN)]] = Field(
        min_length=1, max_length=MAX_CARDS
    )


def load_packs(topics: Mapping[str, Topic], path: Path = PACKS_FILE) -> dict[str, Pack]:
    """Every pack, in file order, its topics checked against the topic files."""
    raw = safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ContentError(f"{path.name}: expected a mapping of packs")
    packs = {}
    for pack_id, fields in raw.items():
        try:
            pack = Pack.model_validate({"id": pack_id, **fields})
        except (ValidationError, TypeError) as exc:
            raise ContentError(f"{path.name}: pack {pack_id!r}: {exc}") from exc
        unknown = [t for t in pack.topics if t not in topics]
        if unknown or len(set(pack.topics)) != len(pack.topics):
            raise ContentError(f"{path.name}: pack {pack_id!r}: unknown or repeated {unknown}")
        packs[pack.id] = pack
    return packs
