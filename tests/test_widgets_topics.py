"""The topic explorers on a real (small) sweep: slider moves come from the sweep's models, never a refit."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bcanalysis import widgets

topics = pytest.importorskip("bcanalysis.topics")
if not hasattr(topics, "sweep"):
    pytest.skip("bcanalysis.topics.sweep is not there yet (issue 4)", allow_module_level=True)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def palettes() -> list:
    """Palettes drawn from three colour themes, so the topics have something to find."""
    rng = np.random.default_rng(3)
    themes = rng.integers(0, 256, (3, 12, 3))
    return [themes[i % 3][rng.integers(0, 12, 20)] for i in range(150)]


@pytest.fixture(scope="module")
def sweep(palettes, tmp_path_factory):
    cache = tmp_path_factory.mktemp("sweep-cache")
    return topics.sweep(palettes, bits=(9, 12), n_topics=[2, 3, 4], random_state=0, cache_dir=cache, progress=False)


@pytest.fixture
def no_refit(monkeypatch):
    """Fail the test if anything fits a model while the widget is used."""

    def refit(*args, **kwargs):
        raise AssertionError("a model was fitted while moving a slider")

    for name in ("fit", "fit_doc_term"):
        monkeypatch.setattr(topics.model, name, refit, raising=False)
    monkeypatch.setattr(topics.engines, "fit_engine", refit)
    monkeypatch.setattr(topics.model, "fit_engine", refit, raising=False)


def test_topic_count_slider_shows_each_model_from_the_sweep(sweep, no_refit) -> None:
    w = widgets.explore_topic_counts(sweep, bits=12, n_topics=3)
    slider, depth = w.children[0], w.children[1]
    assert list(slider.options) == [2, 3, 4] and depth.value == 12
    first = w.result
    assert first.info == {"bits": 12, "n_topics": 3} and "12-bit, 3 topics" in first.caption
    slider.value = 4
    second = w.result
    assert second.render == first.render + 1 and second.png != first.png and second.info["n_topics"] == 4
    assert second.ms < 200, f"slider move took {second.ms:.0f} ms"
    assert "12-bit, 4 topics" in w.view.value  # what the browser shows
    slider.value = 3
    assert w.result.cached and w.result.png == first.png and w.result.ms < 200
    depth.value = 9
    assert w.result.info == {"bits": 9, "n_topics": 3} and "9-bit" in w.result.caption


def test_every_move_is_under_200_ms_from_a_reloaded_cache(palettes, sweep, tmp_path) -> None:
    cache = tmp_path / "cache"
    topics.sweep(palettes, bits=(12,), n_topics=[2, 3, 4, 5], random_state=0, cache_dir=cache, progress=False)
    reloaded = topics.sweep(palettes, bits=(12,), n_topics=[2, 3, 4, 5], random_state=0, cache_dir=cache,
                            progress=False)  # fmt: skip
    w = widgets.explore_topic_counts(reloaded, bits=12, n_topics=2)
    times = []
    for n in (3, 4, 5, 4, 3, 2):
        t0 = time.perf_counter()
        w.children[0].value = n
        times.append((time.perf_counter() - t0) * 1000)
        assert w.result.info["n_topics"] == n
    assert max(times) < 200, times


def test_static_views_match_the_model(sweep) -> None:
    static = widgets.explore_topic_counts(sweep, bits=12, n_topics=4, live=False)
    model = sweep.model(12, 4)
    assert isinstance(static, widgets.View) and static.info == {"bits": 12, "n_topics": 4}
    pixels = widgets.topic_grid_pixels(model)
    assert pixels.shape == (4, 15, 3)
    assert (pixels[0] == model.top_colors(0, 15, order="hls")).all()
    near = widgets.explore_topic_counts(sweep, bits=15, n_topics=18, live=False)  # nearest fitted values
    assert near.info == {"bits": 12, "n_topics": 4}
    stacked = widgets.topic_grids(sweep, n_topics=3)
    assert "9-bit (3 topics)" in stacked.caption and "12-bit (3 topics)" in stacked.caption


class _NoCovers:
    """A corpus stand-in whose albums have no cover files (grey tiles are drawn)."""

    def cover_path(self, relative):
        return None


@pytest.fixture(scope="module")
def albums(palettes):
    import pandas as pd

    tags = [["rock", XSS], ["pop"], ["metal", "rock"]]
    return pd.DataFrame(
        {
            "title": [XSS if i == 0 else f"album {i}" for i in range(len(palettes))],
            "artist": [f"artist {i % 7}" for i in range(len(palettes))],
            "tags": [tags[i % 3] for i in range(len(palettes))],
            "colorgram": [[tuple(int(v) for v in c) for c in p] for p in palettes],
            "proportions": [None] * len(palettes),
            "cover_file": [None] * len(palettes),
        },
        index=pd.RangeIndex(1, len(palettes) + 1, name="id"),
    )


def test_topic_explorer_shows_palette_lift_and_exemplars(sweep, albums) -> None:
    model = sweep.model(12, 3)
    w = widgets.explore_topics(model, albums, _NoCovers(), topic=0)
    dropdown = w.children[0]
    assert [v for _, v in dropdown.options] == [0, 1, 2]
    first = w.result
    assert first.info == {"topic": 0} and first.caption.startswith("topic 0: ")
    dropdown.value = 2
    second = w.result
    assert second.info == {"topic": 2} and second.png != first.png and second.ms < 200
    page = w.view.value
    assert "Genres that wear topic 2" in page and "Covers loading most on it" in page
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page  # the XSS tag's lift row, escaped
    dropdown.value = 0
    assert w.result.cached and w.result.png == first.png


def test_topic_table_and_exemplar_grid(sweep, albums) -> None:
    model = sweep.model(12, 3)
    index, palettes = topics.album_palettes(albums)
    table = widgets.topic_table(model, palettes)
    assert list(table.index) == [0, 1, 2] and abs(table["share of corpus"].sum() - 1) < 1e-6
    assert all(len(words.split()) == 15 for words in table["top colours"])
    grid = widgets.exemplar_grid(model, albums, _NoCovers(), n=4)
    assert "rows: topics 1..3" in grid.caption and grid.png.startswith(b"\x89PNG")
