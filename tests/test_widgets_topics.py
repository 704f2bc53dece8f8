"""The topic explorers on a real (small) sweep: slider moves come from the sweep's models, never a refit."""

from __future__ import annotations

import numpy as np
import pytest

from bcanalysis import album_table, topics, widgets
from bcanalysis.prepare import topic_grid
from bcanalysis.widgets.views import topic_grid_pixels, topic_grid_view

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
        monkeypatch.setattr(topics.ColorTopics, name, refit)
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
    assert "12-bit, 4 topics" in w.view.value  # what the browser shows
    slider.value = 3
    assert w.result.cached and w.result.png == first.png
    depth.value = 9
    assert w.result.info == {"bits": 9, "n_topics": 3} and "9-bit" in w.result.caption


def test_every_move_reads_a_reloaded_cache_and_fits_nothing(palettes, tmp_path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    topics.sweep(palettes, bits=(12,), n_topics=[2, 3, 4, 5], random_state=0, cache_dir=cache, progress=False)
    reloaded = topics.sweep(
        palettes, bits=(12,), n_topics=[2, 3, 4, 5], random_state=0, cache_dir=cache, progress=False
    )
    assert reloaded.table["cached"].all()
    monkeypatch.setattr(topics.engines, "fit_engine", lambda *a, **k: pytest.fail("a model was fitted"))
    w = widgets.explore_topic_counts(reloaded, bits=12, n_topics=2)
    for n in (3, 4, 5, 4, 3, 2):
        w.children[0].value = n
        assert w.result.info["n_topics"] == n
        assert w.result.png == topic_grid_view(topic_grid(reloaded.model(12, n))).png


def test_offline_views_match_the_models(sweep, palettes) -> None:
    static = widgets.explore_topic_counts(sweep, bits=12, n_topics=4, live=False)
    model = sweep.model(12, 4)
    assert isinstance(static, widgets.OfflineExplorer) and static.view.info == {"bits": 12, "n_topics": 4}
    assert sorted(static.views) == [(n, b) for n in (2, 3, 4) for b in (9, 12)]  # (count, depth): every model
    assert all(v.info == {"bits": b, "n_topics": n} for (n, b), v in static.views.items())
    page = static._repr_html_()
    assert 'data-bcanalysis="topic-count" min="2" max="4" step="1" value="4"' in page
    assert '<select id="' in page and 'data-bcanalysis="depth"' in page and '<option value="12" selected>' in page
    pixels = topic_grid_pixels(topic_grid(model))
    assert pixels.shape == (4, 15, 3)
    assert (pixels[0] == model.top_colors(0, 15, order="hls")).all()
    near = widgets.explore_topic_counts(sweep, bits=15, n_topics=18, live=False)  # nearest fitted values
    assert near.view.info == {"bits": 12, "n_topics": 4}
    stacked = widgets.grids_by_depth(sweep, n_topics=3)
    assert "9-bit (3 topics)" in stacked.caption and "12-bit (3 topics)" in stacked.caption


def _image(view):
    from io import BytesIO

    from PIL import Image

    return np.asarray(Image.open(BytesIO(view.png)).convert("RGB"))


def test_topic_grid_is_labelled_like_the_report(sweep, palettes) -> None:
    """Each row: number and colour names, the topic's share of the corpus, then its colours (as in notebook 05)."""
    model = sweep.model(12, 3)
    shares = topics.topic_shares(model, palettes)
    assert shares.sum() == pytest.approx(1) and shares == pytest.approx(model.transform(palettes).mean(axis=0))
    bare, labelled = topic_grid_view(topic_grid(model)), topic_grid_view(topic_grid(model, shares=shares))
    assert "share of the corpus" in labelled.caption and "share" not in bare.caption
    cells = np.repeat(np.repeat(topic_grid_pixels(topic_grid(model)), 18, axis=0), 18, axis=1)
    for view in (bare, labelled):
        image = _image(view)
        assert image.shape[0] == cells.shape[0] and (image[:, -cells.shape[1] :] == cells).all()  # colours at right
        text = image[:, : image.shape[1] - cells.shape[1]]
        for k in range(3):  # every row has writing (dark pixels) before its colours
            assert (text[k * 18 : (k + 1) * 18] < 100).any()
    assert _image(labelled).shape[1] > _image(bare).shape[1]  # the share column
    w = widgets.explore_topic_counts(sweep, bits=12, n_topics=3, palettes=palettes)
    assert w.result.png == labelled.png  # the live slider draws the same labelled grid


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
    assert second.info == {"topic": 2} and second.png != first.png
    page = w.view.value
    assert "Genres that wear topic 2" in page and "Covers loading most on it" in page
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page  # the XSS tag's lift row, escaped
    dropdown.value = 0
    assert w.result.cached and w.result.png == first.png


def test_topic_table_and_exemplar_grid(sweep, albums) -> None:
    model = sweep.model(12, 3)
    index, palettes = album_table.album_palettes(albums)
    table = topics.topic_table(model, palettes)
    assert list(table.index) == [0, 1, 2] and abs(table["share of corpus"].sum() - 1) < 1e-6
    assert all(len(words.split()) == 15 for words in table["top colours"])
    grid = widgets.exemplar_grid(model, albums, _NoCovers(), n=4)
    assert "rows: topics 0..2" in grid.caption and grid.mime == "image/jpeg" and grid.png.startswith(b"\xff\xd8")
    assert "<th>topic</th>" in grid.html_extra and "<td>0</td>" in grid.html_extra  # numbered from 0, as everywhere
