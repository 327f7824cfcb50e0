"""The stored formats of `bot/base/keys.py`: every outbox key comes from there, and a key
family about a person is blanked by `/hapusdata` whatever its prefix."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from bot.base import keys
from bot.base.models import Channel, Reply
from bot.storage.database import Database
from tests.conftest import START, RowCounter, an_injury

ROOT = Path(__file__).resolve().parents[3]
NAMED = [family for family in keys.FAMILIES if family.about is not keys.About.RECIPIENT]


def test_no_family_hides_another() -> None:
    """Prefixes are told apart at the first difference: no key can belong to two families."""
    prefixes = [family.prefix for family in keys.FAMILIES]
    assert len(set(prefixes)) == len(prefixes)
    for one in prefixes:
        assert not [other for other in prefixes if other != one and other.startswith(one)]


def test_a_key_of_no_family_is_refused() -> None:
    keys.check_dedupe_key(keys.sos(3, START))
    with pytest.raises(ValueError, match="no family"):
        keys.check_dedupe_key("newalert:3:2026")


def ad_hoc_keys(path: Path) -> list[int]:
    """Lines where a `dedupe_key=` is written out as a string instead of built by `keys`."""
    return [
        node.value.lineno
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.keyword)
        and node.arg == "dedupe_key"
        and isinstance(node.value, ast.JoinedStr | ast.Constant | ast.BinOp)
    ]


def test_every_outbox_key_is_built_by_the_keys_module() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for package in ("bot", "handlers", "scheduler")
        for path in (ROOT / package).rglob("*.py")
        if (lines := ad_hoc_keys(path))
    }
    assert found == {}


def test_the_check_finds_an_ad_hoc_key(tmp_path: Path) -> None:
    module = tmp_path / "alert.py"
    module.write_text('notify(kader, dedupe_key=f"newalert:{user.id}")\n', encoding="utf-8")
    assert ad_hoc_keys(module) == [1]


def key_naming(family: keys.KeyFamily, user_id: int, incident_id: int) -> str:
    parts = {name: "x" for name in keys.PARTS.findall(family.template)}
    parts.update(user=str(user_id), incident=str(incident_id))
    return keys.recipient_key(family.key(**parts), 1)


@pytest.mark.parametrize("family", NAMED, ids=[family.prefix for family in NAMED])
async def test_erasure_blanks_messages_to_others_about_the_person(
    database: Database, rows: RowCounter, family: keys.KeyFamily
) -> None:
    """A message to the kader (user 1) whose key names Budi, or one of his reports, loses its
    text when Budi is erased; one about somebody else keeps it."""
    async with database.unit_of_work() as uow:
        budi = await uow.users.by_platform(Channel.TERMINAL, "demo:budi")
        other = await uow.users.by_platform(Channel.TERMINAL, "demo:rahmat")
        assert budi is not None
        assert other is not None
        payload = Reply(key="t", text="Budi di blok 12").model_dump_json()
        for user_id in (budi.id, other.id):
            incident = await uow.incidents.create(an_injury(1, user_id), START)
            await uow.outbox.enqueue(
                user_id=1,
                kind="alert",
                payload=payload,
                dedupe_key=key_naming(family, user_id, incident.id),
                now=START,
            )
        await uow.privacy.erase(budi, START + dt.timedelta(days=1))
    blanked = rows("SELECT payload = '' FROM outbox WHERE user_id = 1 ORDER BY id")
    assert blanked == [(1,), (0,)]
