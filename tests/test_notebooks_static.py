"""The notebooks as committed: no outputs, one `parameters` cell of plain literals, no logic copied into them."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = ["01_scrape", "02_colorgram", "03_quantize", "04_lda_sweep", "05_final_12bit_18topics", "06_beyond"]
PARAMETERS = {
    "db",
    "source",
    "tags",
    "albums_per_tag",
    "bits",
    "n_topics",
    "sweep_bits",
    "sweep_n",
    "random_state",
    "cache_dir",
    "live",
}
#: Parameters only some notebooks have (their own knobs); every notebook carries all of PARAMETERS.
OWN_PARAMETERS = {"06_beyond": {"query_album", "n_similar", "n_boot", "space_bits", "space_restarts"}}


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _code(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_numbered_notebooks_exist() -> None:
    assert [p.stem for p in _notebooks()] == EXPECTED


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_no_outputs_committed(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; run nbstripout {path}"
    assert "widgets" not in nb.metadata, f"{path.name}: widget state saved in metadata"


@pytest.mark.slow
def test_nbstripout_verify() -> None:
    exe = shutil.which("nbstripout", path=str(Path(sys.executable).parent)) or shutil.which("nbstripout")
    if exe is None:
        pytest.skip("nbstripout is not installed (pip install -e '.[dev]')")
    paths = [str(p) for p in _notebooks()]
    proc = subprocess.run([exe, "--verify", *paths], capture_output=True, text=True)
    assert proc.returncode == 0, f"nbstripout --verify: {proc.stdout}{proc.stderr}"


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_house_style(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata.kernelspec.name == "bcanalysis"
    code = _code(nb)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged parameters"
    params = ast.parse(tagged[0].source)
    names = set()
    for node in params.body:
        assert isinstance(node, ast.Assign), f"{path.name}: parameters cell holds {ast.dump(node)[:60]}"
        ast.literal_eval(node.value)  # plain literals only: derived values go in the next cell
        names.update(t.id for t in node.targets)
    allowed = PARAMETERS | OWN_PARAMETERS.get(path.stem, set())
    assert names <= allowed, f"{path.name}: unexpected parameters {names - allowed}"
    assert {"db", "source", "cache_dir", "random_state", "live"} <= names
    for cell in code:
        python = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))  # magics
        for node in ast.walk(ast.parse(python)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)), f"{path.name}: a definition"
            assert not isinstance(node, (ast.For, ast.While)), f"{path.name}: a loop in\n{cell.source}"
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    assert len(markdown) >= len(code) // 2, f"{path.name}: tell the story in Markdown"


#: Numbers a Markdown cell may hold: rule constants, versions, an address, the 2020 analysis's corpus size (a
#: citation) — never a result of the run (results are printed by code).
ALLOWED_NUMBERS = {"0.05", "1.2.0", "127.0.0.1", "25,006"}


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_no_result_typed_into_markdown(path: Path) -> None:
    """Findings are printed from the run's results (`bcanalysis.report.findings`); Markdown states methods and rules.
    A decimal or thousands-grouped number in Markdown is a result typed in (it was: "NPMI 0.22 against 0.14")."""
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            typed = [
                t
                for t in re.findall(r"\d[\d.,]*\d", cell.source)
                if ("." in t or "," in t) and t not in ALLOWED_NUMBERS
            ]
            assert not typed, f"{path.name}: numbers typed into Markdown {typed}:\n{cell.source}"
