"""Prepare, then render: each view's data is computed once (`bcanalysis.prepare`), and the Figure (`plots`) and the
View (`widgets`) are both drawn from those arrays, never from the model again."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import numpy as np
import pandas as pd
import pytest
from _planted import planted_albums
from PIL import Image

from bcanalysis import analysis, plots, prepare, topics, widgets
from bcanalysis.widgets.views import topic_grid_pixels, topic_grid_view

K = 4


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(200, K, random_state=4)


@pytest.fixture(scope="module")
def model(planted) -> topics.ColorTopics:
    return topics.ColorTopics(n_topics=K, random_state=0).fit(planted.palettes)


@pytest.fixture(scope="module")
def albums(planted) -> pd.DataFrame:
    return planted_albums(planted, cover_file=lambda i: None)


class _NoCovers:
    def cover_path(self, relative):
        return None


def _image(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(BytesIO(png)).convert("RGB"))


def _cells(fig) -> np.ndarray:
    """The fill colours (0..255) of a figure's bars, in drawing order."""
    return np.round(np.array([p.get_facecolor()[:3] for p in fig.axes[0].patches]) * 255).astype(int)


def test_topic_grid_figure_and_view_draw_the_same_prepared_colours(model) -> None:
    grid = prepare.topic_grid(model, 6)
    assert [len(c) for c in grid.colors] == [6] * K and grid.labels()[0] == f"0: {model.topic_label(0)}"
    for k in range(K):  # the analysis's figure: top colours in HLS order, each with its weight in the topic
        assert (grid.colors[k] == model.top_colors(k, 6, order="hls")).all()
        assert sorted(grid.weights[k]) == pytest.approx(sorted(model.top_weights(k, 6)))
    # a grid whose colours no model has: both renderers show exactly these, so both read the prepared arrays
    painted = replace(grid, colors=[np.roll(c, 1, axis=0) // 2 for c in grid.colors])
    assert (_cells(plots.topic_grid(painted)) == np.concatenate(painted.colors)).all()
    assert (topic_grid_pixels(painted) == np.stack(painted.colors)).all()
    view = _image(topic_grid_view(painted, cell=1).png)
    assert (view[:, -6:] == np.stack(painted.colors)).all()  # the view's colour cells, right of the labels
    assert not (view[:, -6:] == np.stack(grid.colors)).all()


def test_palette_strips_figure_widths_and_view_pixels_come_from_the_same_shares(albums) -> None:
    strips = prepare.palette_strips(albums.head(5))
    assert strips.labels == [f"a{i} — t{i}" for i in range(5)]
    assert all(s.sum() == pytest.approx(1) for s in strips.shares)
    fig = plots.palette_strips(strips)
    widths = np.array([p.get_width() for p in fig.axes[0].patches])
    assert widths == pytest.approx(np.concatenate(strips.shares))
    assert (_cells(fig) == np.concatenate(strips.colors)).all()
    view = _image(widgets.palette_view(strips, width=120, height=1).png)
    assert (view[::2] == strips.pixels(120)).all()  # every other row a palette, white rows between
    row = prepare.strip_row(np.array([(255, 0, 0), (0, 0, 255)], np.uint8), np.array([0.75, 0.25]), 40)
    assert (row[:30] == (255, 0, 0)).all() and (row[30:] == (0, 0, 255)).all()
    equal = prepare.palette_strips([[(1, 2, 3), (4, 5, 6)], []])
    assert (equal.pixels(10)[0, 5:] == (4, 5, 6)).all() and (equal.pixels(4)[1] == 255).all()  # white: no colours


def test_intertopic_map_holds_positions_pies_and_relevance_terms(model, albums) -> None:
    the_map = prepare.intertopic_map(model, albums)
    table = analysis.intertopic_map(model, albums)
    pd.testing.assert_frame_equal(the_map.table, table)
    assert the_map.x == pytest.approx(table["x"]) and the_map.prevalence == pytest.approx(table["prevalence"])
    for k in range(K):
        assert (the_map.colors[k] == model.top_colors(k, 5)).all()
        assert the_map.weights[k] == pytest.approx(model.top_weights(k, 5))
    # the relevance terms, against pyLDAvis's formulas computed here from the model
    p = model.components_ / model.components_.sum(axis=1, keepdims=True)
    overall = table["prevalence"].to_numpy() @ p
    for k in range(K):
        mine = the_map.term_topic == k
        assert mine.sum() >= prepare.N_TERMS
        column = np.searchsorted(
            model.colors_[:, 0].astype(int) * 65536 + model.colors_[:, 1].astype(int) * 256 + model.colors_[:, 2],
            the_map.term_colors[mine] @ [65536, 256, 1],
        )
        assert the_map.term_p[mine] == pytest.approx(p[k, column])
        assert the_map.term_lift[mine] == pytest.approx(p[k, column] / overall[column])
        by_weight = the_map.term_colors[the_map.top_terms(k, lam=1.0, n=5)]
        assert (by_weight == the_map.colors[k]).all()  # λ = 1: the pie's colours, heaviest first
        by_lift = the_map.term_colors[the_map.top_terms(k, lam=0.0, n=3)]
        expected = model.colors_[np.argsort(-(p[k] / overall), kind="stable")[:3]]
        assert {tuple(c) for c in by_lift} == {tuple(c) for c in expected}
    with pytest.raises(ValueError, match="lambda must be in 0..1, got 2"):
        the_map.relevance(2)


def test_intertopic_figure_and_explorer_draw_the_prepared_map(model, albums) -> None:
    the_map = prepare.intertopic_map(model, albums)
    moved = replace(the_map, table=the_map.table.assign(x=the_map.x[::-1].copy()))  # positions no model gives
    fig = plots.intertopic_map(moved)
    centres = {tuple(np.round(p.center, 9)) for p in fig.axes[0].patches}
    assert centres == {tuple(np.round(c, 9)) for c in zip(moved.x, moved.y, strict=True)}
    wedges = np.round(np.array([p.get_facecolor()[:3] for p in fig.axes[0].patches]) * 255).astype(int)
    order = np.argsort(-moved.prevalence, kind="stable")
    assert (wedges == np.concatenate([moved.colors[i] for i in order])).all()
    views = widgets.explore_intertopic(model, albums, _NoCovers(), prepared=moved, live=False)
    static = widgets.explore_intertopic(model, albums, _NoCovers(), live=False)
    assert views.views[(0,)].png != static.views[(0,)].png  # the explorer drew the map it was given
    assert "map position (" + f"{moved.x[0]:.3f}" in views.views[(0,)].caption


def test_each_view_is_prepared_once_then_drawn_from_it(model, albums, monkeypatch) -> None:
    """The explorers prepare their data once: every topic's view after that reads it, never the model's colours."""
    from bcanalysis.widgets import beyond, explorers

    calls = {"grid": 0, "map": 0}

    def counted(name, f):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return f(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(explorers, "topic_grid", counted("grid", prepare.topic_grid))
    monkeypatch.setattr(beyond, "intertopic_map", counted("map", prepare.intertopic_map))
    views = beyond.IntertopicViews(model, albums, _NoCovers())
    assert calls == {"grid": 1, "map": 1}
    monkeypatch.setattr(type(model), "top_colors", lambda *a, **k: pytest.fail("a view recomputed top colours"))
    for k in range(K):
        views.view(k)
    assert calls == {"grid": 1, "map": 1}
    palette = _image(views.topics.view(1).png)[::40, ::28]  # the topic's palette row, one pixel per colour
    assert (palette[0] == views.topics.grid.colors[1]).all()
