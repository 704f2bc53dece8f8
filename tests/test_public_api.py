"""The public API table of docs/reference.md against the package itself: every module's `__all__` listed, each name
once, every listed name real, no object exported by two modules, and every module of the layout named in the table."""

from __future__ import annotations

import importlib
import re
from collections import defaultdict
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "reference.md"


def _table() -> dict[str, list[str]]:
    """module → names, read from the 'Public API' section's table."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Public API", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(bcanalysis[\w.]*)` \| (.*) \|$", section, flags=re.M)
    return {module: re.findall(r"`([^`]+)`", names) for module, names in rows}


def test_the_table_lists_each_module_s_all_and_nothing_else() -> None:
    table = _table()
    assert len(table) >= 15, "the Public API table was not found"
    for module, names in table.items():
        exported = importlib.import_module(module).__all__
        assert sorted(names) == sorted(exported), (
            f"{module}: table and __all__ differ: {sorted(set(names) ^ set(exported))}"
        )
        assert len(set(names)) == len(names), f"{module}: a name listed twice"
        for name in names:
            assert hasattr(importlib.import_module(module), name), f"{module}.{name} is listed but does not exist"


def test_every_public_stage_is_in_the_table() -> None:
    package = Path(importlib.import_module("bcanalysis").__file__).parent
    helpers = {"defaults", "facts", "colorspace", "colornames", "executors", "plots_labels", "__main__"}
    stages = {
        f"bcanalysis.{p.stem if p.is_file() else p.name}"
        for p in package.iterdir()
        if not p.name.startswith("_")
        and (p.suffix == ".py" or (p / "__init__.py").exists())
        and (p.stem if p.is_file() else p.name) not in helpers
    }
    assert stages <= set(_table()), f"modules missing from the Public API table: {sorted(stages - set(_table()))}"


def test_no_object_is_exported_by_two_modules() -> None:
    owners: dict[int, list[str]] = defaultdict(list)
    for module in _table():
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not isinstance(obj, (int, float, str, bool, tuple, frozenset)):  # equal small values may be shared
                owners[id(obj)].append(f"{module}.{name}")
    twice = [names for names in owners.values() if len(names) > 1]
    assert not twice, f"one object under two public names: {twice}"
