"""One module of defaults: every notebook's `parameters` cell, the report's sources and the public functions agree
with `bcanalysis.defaults`, so a default is changed in one place."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import nbformat
import pytest

from bcanalysis import defaults

NOTEBOOKS = sorted(defaults.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))

#: Each parameter a notebook may hold, and the default it must have.
EXPECTED = {
    "source": "demo",
    "tags": list(defaults.TAGS),
    "albums_per_tag": defaults.ALBUMS_PER_TAG,
    "bits": defaults.BITS,
    "n_topics": defaults.N_TOPICS,
    "sweep_bits": list(defaults.SWEEP_BITS),
    "sweep_n": list(defaults.SWEEP_N),
    "random_state": defaults.RANDOM_STATE,
    "live": True,
    "query_album": 0,
    "n_similar": defaults.N_SIMILAR,
    "n_boot": defaults.N_BOOT,
    "space_bits": list(defaults.SWEEP_BITS),
    "space_restarts": defaults.N_RESTARTS,
}
#: Path parameters, relative to notebooks/, and the project path they must name.
PATHS = {"db": defaults.DEMO_DB, "cache_dir": defaults.DEMO_CACHE}


def _parameters(path: Path) -> dict:
    nb = nbformat.read(str(path), as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    return {t.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body for t in node.targets}


def test_there_are_notebooks_to_check() -> None:
    assert len(NOTEBOOKS) == 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_agrees_with_the_defaults(path: Path) -> None:
    params = _parameters(path)
    unknown = set(params) - set(EXPECTED) - set(PATHS)
    assert not unknown, f"{path.name}: parameters without a default in bcanalysis.defaults: {unknown}"
    for name, value in params.items():
        if name in PATHS:
            named = (defaults.NOTEBOOKS_DIR / value).resolve()
            assert named == (defaults.PROJ_ROOT / PATHS[name]).resolve(), f"{path.name}: {name} = {value!r}"
        else:
            assert value == EXPECTED[name], f"{path.name}: {name} = {value!r}, defaults say {EXPECTED[name]!r}"


def test_report_sources_use_the_defaults() -> None:
    from bcanalysis.report import SOURCE_DEFAULTS

    assert SOURCE_DEFAULTS["demo"]["db"] == defaults.DEMO_DB
    assert SOURCE_DEFAULTS["bandcamp"]["sweep_n"] == list(defaults.SWEEP_N)
    assert SOURCE_DEFAULTS["bandcamp"]["sweep_bits"] == list(defaults.SWEEP_BITS)


def _default(fn, name):
    return inspect.signature(inspect.unwrap(fn)).parameters[name].default


def test_public_functions_take_their_defaults_from_the_module() -> None:
    from bcanalysis import analysis, bandcamp, demo, scrape, topics, widgets
    from bcanalysis.palette import extract_many, extract_palettes

    assert demo.TAGS == defaults.TAGS
    assert _default(widgets.explore_bit_depth, "bits") == defaults.BITS
    assert _default(widgets.explore_topic_counts, "n_topics") == defaults.N_TOPICS
    assert tuple(_default(analysis.compare_spaces, "bits")) == defaults.SWEEP_BITS
    assert _default(analysis.compare_spaces, "n_restarts") == defaults.N_RESTARTS
    assert _default(analysis.trends, "n_boot") == defaults.N_BOOT
    assert (_default(topics.ColorTopics, "bits"), _default(topics.ColorTopics, "n_topics")) == (
        defaults.BITS,
        defaults.N_TOPICS,
    )
    assert tuple(_default(topics.sweep, "bits")) == defaults.SWEEP_BITS
    assert tuple(_default(topics.sweep, "n_topics")) == defaults.SWEEP_N
    assert _default(topics.sweep, "n_restarts") == defaults.N_RESTARTS
    polite = _default(bandcamp.Client, "politeness")
    assert polite == bandcamp.POLITENESS == bandcamp.Politeness() and _default(scrape.scrape, "politeness") is None
    assert (polite.rate, polite.cover_rate, polite.cover_connections) == (
        defaults.SITE_RATE,
        defaults.COVER_RATE,
        defaults.COVER_CONNECTIONS,
    )
    assert polite.max_pixels == defaults.MAX_PIXELS
    assert (bandcamp.DEMO_POLITENESS.rate, bandcamp.DEMO_POLITENESS.cover_rate) == (defaults.DEMO_RATE,) * 2
    assert _default(scrape.scrape, "size") == defaults.COVER_SIZE
    assert (
        _default(extract_many, "number_of_colors")
        == defaults.N_COLORS
        == _default(extract_palettes, "number_of_colors")
    )
    assert _default(extract_many, "max_pixels") == defaults.MAX_PIXELS


@pytest.mark.slow
def test_cli_defaults_are_the_modules(cli) -> None:
    text = " ".join(cli("scrape", "--help").stdout.split())
    assert f"(default {defaults.SITE_RATE:g})" in text and f"(default {defaults.COVER_RATE:g})" in text
    assert f"(default {defaults.N_COLORS})" in " ".join(cli("extract", "--help").stdout.split())
