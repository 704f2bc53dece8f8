"""The package's layers, read from its source: data flows one way (store → album_table → palette → quantize → topics →
analysis → prepare → plots → widgets → report), the corpus knows nothing of the scraper, and no module reaches into
another's private names.

Every `import` counts, at module level or inside a function (a lazy import is still an arrow); only imports under
`if TYPE_CHECKING:` (type hints, never run) are left out.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bcanalysis"

#: The analysis's pipeline, lowest first: a module may import its own layer or a lower one, never a higher one.
PIPELINE = [
    "store",
    "album_table",
    "palette",
    "quantize",
    "topics",
    "analysis",
    "prepare",
    "plots",
    "widgets",
    "report",
]
#: Modules that fetch or orchestrate: none of the pipeline's computing layers (or the corpus) may import them.
ABOVE_THE_DATA = ["bandcamp", "scrape", "importer", "sources", "demo", "cli"]


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. bcanalysis.analysis.similar
    target: str  # the imported module, e.g. bcanalysis.palette
    names: tuple[str, ...]  # names taken from it (from-imports)
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(path: Path) -> list[Import]:
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in hidden:
            continue
        if isinstance(node, ast.Import):
            out += [Import(module, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = tuple(alias.name for alias in node.names)
            out.append(Import(module, base, names, node.lineno))
            for name in names:  # `from bcanalysis import plots` imports the module bcanalysis.plots
                if (PACKAGE.parent / Path(*base.split("."), name)).with_suffix(".py").exists() or (
                    PACKAGE.parent / Path(*base.split("."), name) / "__init__.py"
                ).exists():
                    out.append(Import(module, f"{base}.{name}", (), node.lineno))
    return [i for i in out if i.target == "bcanalysis" or i.target.startswith("bcanalysis.")]


def _all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in _imports(path)]


def _top(module: str) -> str:
    """The layer a module belongs to: bcanalysis.analysis.similar → topics; bcanalysis.report.index_page → report."""
    name = module.split(".")[1] if module.count(".") else ""
    return "report" if name.startswith("report_") else "plots" if name.startswith("plots_") else name


def _where(i: Import) -> str:
    return f"{i.module} (line {i.line}) imports {i.target}"


def test_the_walk_finds_the_package_imports() -> None:
    found = _all_imports()
    assert len({i.module for i in found}) > 40
    assert any(i.module == "bcanalysis.widgets.explorers" and _top(i.target) == "quantize" for i in found)
    assert any(i.module == "bcanalysis.plots" and i.target == "bcanalysis.album_table" for i in found)  # lazy


def test_data_flows_one_way_through_the_pipeline() -> None:
    upward = [
        _where(i)
        for i in _all_imports()
        if _top(i.module) in PIPELINE
        and _top(i.target) in PIPELINE
        and PIPELINE.index(_top(i.target)) > PIPELINE.index(_top(i.module))
    ]
    assert not upward, "imports against the data flow:\n" + "\n".join(upward)


def test_the_renderers_draw_prepared_data_and_prepare_draws_nothing() -> None:
    """`prepare` sits between analysis and the renderers: plots and widgets import it, it imports neither, nor
    matplotlib, ipywidgets or PIL (its data is arrays, strings and DataFrames)."""
    found = _all_imports()
    assert any(i.module == "bcanalysis.plots" and i.target == "bcanalysis.prepare" for i in found)
    assert any(i.module.startswith("bcanalysis.widgets") and i.target == "bcanalysis.prepare" for i in found)
    tree = ast.parse((PACKAGE / "prepare.py").read_text(encoding="utf-8"))
    drawn = [
        ast.unparse(n)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Import, ast.ImportFrom))
        and any(m in ast.unparse(n) for m in ("matplotlib", "ipywidgets", "PIL", "plots", "widgets"))
    ]
    assert not drawn, drawn


def _every_import(path: Path) -> set[str]:
    """Every bcanalysis module `path` names in an import, type-checking imports too (a cycle is a cycle to a reader)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return out | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}


def test_the_index_page_imports_nothing_of_the_report_run() -> None:
    """`report.run` calls `index_page.write_index` with plain data; the index page needs no `Report` back (it
    imported it under TYPE_CHECKING: a cycle between the two modules)."""
    imported = _every_import(PACKAGE / "report" / "index_page.py")
    assert not {m for m in imported if m in ("bcanalysis.report", "bcanalysis.report.run")}, imported
    assert "bcanalysis.report.index_page" in _every_import(PACKAGE / "report" / "run.py")


def test_computing_layers_and_the_corpus_import_no_fetcher_or_orchestrator() -> None:
    bad = [_where(i) for i in _all_imports() if _top(i.module) in PIPELINE and _top(i.target) in ABOVE_THE_DATA]
    assert not bad, "\n".join(bad)


def _private_uses(path: Path) -> list[str]:
    """Private names (one leading underscore) taken from another bcanalysis module, by import or by attribute."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    modules: dict[str, str] = {}  # local name → the bcanalysis module it is bound to
    for i in _imports(path):
        if i.target != module:
            found += [
                f"{module} (line {i.line}) imports {i.target}.{n}"
                for n in i.names
                if n.startswith("_") and not n.startswith("__")
            ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bcanalysis"):
                    modules[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else "bcanalysis"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bcanalysis"):
            for alias in node.names:
                modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = _dotted(node.value, modules)
            if owner is not None and owner != module:
                found.append(f"{module} (line {node.lineno}) uses {owner}.{node.attr}")
    return found


def _dotted(node: ast.AST, modules: dict[str, str]) -> str | None:
    """`palette.engine` → 'bcanalysis.palette.engine' when `palette` names an imported bcanalysis module; else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in modules:
        return None
    return ".".join([modules[node.id], *reversed(parts)])


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: _module_name(p))
def test_no_module_uses_another_modules_private_names(path: Path) -> None:
    assert not _private_uses(path)


def test_the_private_name_check_can_see_a_violation(tmp_path: Path) -> None:
    bad = PACKAGE / "widgets" / "_layers_probe.py"
    bad.write_text(
        "from bcanalysis.widgets.views import _thumb\nfrom bcanalysis import palette\n"
        "palette.engine._open\nimport bcanalysis.plots\n"
    )
    try:
        found = _private_uses(bad)
        assert len(found) == 2 and "_thumb" in found[0] and "bcanalysis.palette.engine._open" in found[1]
    finally:
        bad.unlink()


def test_widgets_export_at_most_ten_names_none_a_figures_name() -> None:
    from bcanalysis import plots, widgets

    assert len(widgets.__all__) <= 10 and all(hasattr(widgets, name) for name in widgets.__all__)
    figures = {name for name in dir(plots) if not name.startswith("_")}
    assert not figures & set(widgets.__all__), "a View named like a Figure (renderers of different kinds)"
