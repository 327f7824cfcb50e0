"""Dependencies point one way: every import of our own code, read from the source, follows the
layers of docs/architecture.md ("The layers"). An import against the direction fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("bot", "handlers", "scheduler", "content")

LOWER = ("bot.base", "bot.storage", "bot.domain", "content")
MAY_IMPORT: dict[str, tuple[str, ...]] = {
    "content": (),
    "bot.base": ("content",),
    "bot.storage": ("bot.base", "content"),
    "bot.domain": ("bot.base", "bot.storage", "content"),
    "bot.reports": (*LOWER,),
    "bot.core": (*LOWER,),
    "bot.channels": ("bot.base", "bot.core"),
    "bot.web": (*LOWER, "bot.reports"),
    "handlers": (*LOWER, "bot.reports", "bot.core"),
    "scheduler": (*LOWER, "bot.reports", "bot.core"),
    "bot.app": (
        *LOWER,
        "bot.reports",
        "bot.core",
        "bot.channels",
        "bot.web",
        "handlers",
        "scheduler",
    ),
}
"""Each layer (a package) and the layers below it that it may import; its own modules it always
may. `handlers` is imported by the app alone, which hands the flows to the engine."""
WHY_ALLOWED = {
    ("bot.channels", "bot.storage.inbox"): "the stored update an adapter parses (`InboxRow`)",
    (
        "bot.channels",
        "bot.storage.photos",
    ): "photos and voice notes, kept by hash",
}
"""Single modules a layer may import besides its layers, and why."""


def layer_of(module: str) -> str:
    matches = [layer for layer in MAY_IMPORT if module == layer or module.startswith(layer + ".")]
    if not matches:
        raise AssertionError(f"{module} is in no layer: add it to MAY_IMPORT")
    return max(matches, key=len)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """Every module of ours that `path` imports (also inside functions and `TYPE_CHECKING`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] in OURS]


def allowed(importer: str, imported: str) -> bool:
    own, other = layer_of(importer), layer_of(imported)
    if own == other or other in MAY_IMPORT[own]:
        return True
    return any(
        layer == own and (imported == module or imported.startswith(module + "."))
        for layer, module in WHY_ALLOWED
    )


def sources() -> list[Path]:
    return sorted(path for package in OURS for path in (ROOT / package).rglob("*.py"))


def test_every_import_follows_the_layers() -> None:
    """No module imports a layer above its own, nor a sibling it has no business with."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module_name(path)} imports {name}"
        for path in sources()
        for line, name in imports(path)
        if not allowed(module_name(path), name)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("bot.core.engine", "handlers.menu"),
        ("scheduler.summaries", "handlers.achievement"),
        ("handlers.activities", "scheduler.reminders"),
        ("bot.channels.telegram", "bot.storage.database"),
        ("bot.storage.users", "bot.core.notify"),
        ("content.matcher", "bot.base.texts"),
        ("bot.web.app", "bot.core.engine"),
        ("bot.web.reports", "handlers.incident_views"),
        ("bot.reports.charts", "bot.web.svg"),
    ],
)
def test_an_import_against_the_direction_is_refused(importer: str, imported: str) -> None:
    """The check is not vacuous: each import the old tree had the wrong way round is refused."""
    assert not allowed(importer, imported)


def test_every_module_is_in_a_layer() -> None:
    """`bot/` itself holds only its layers: a new module goes into the one it belongs to."""
    assert [p.name for p in (ROOT / "bot").glob("*.py")] == ["__init__.py"]
    assert all(layer_of(module_name(path)) for path in sources() if path.parent != ROOT / "bot")
