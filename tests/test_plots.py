"""bcanalysis.plots: every function returns a Figure whose content follows the model and data it was given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _planted import planted_albums
from matplotlib.figure import Figure

from bcanalysis import plots, topics


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(400, 3, random_state=2)


@pytest.fixture(scope="module")
def model(planted) -> topics.ColorTopicModel:
    return topics.fit(planted.palettes, n_topics=3, random_state=0)


@pytest.fixture(scope="module")
def albums(planted) -> pd.DataFrame:
    return planted_albums(planted)


def _cell_colors(ax) -> np.ndarray:
    return np.array([p.get_facecolor()[:3] for p in ax.patches])


def test_topic_grid_rows_are_the_topics_top_colours(model, tmp_path):
    fig = plots.topic_grid(model, 6)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    cells = _cell_colors(ax).reshape(3, 6, 3)
    for k in range(3):
        assert np.allclose(cells[k], model.top_colors(k, 6, order="hls") / 255)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{k}: {model.topic_label(k)}" for k in range(3)]
    fig.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 1000


def test_topic_grid_weights_set_cell_widths(model):
    ax = plots.topic_grid(model, 5, order="weight", weights=True, names=False).axes[0]
    widths = np.array([p.get_width() for p in ax.patches]).reshape(3, 5)
    w = np.stack([model.top_weights(k, 5) for k in range(3)])
    assert np.allclose(widths, w / w.sum(axis=1, keepdims=True) * 5)


def test_sweep_curves_mark_the_recommendation(planted):
    result = topics.sweep(planted.palettes, bits=(12,), n_topics=range(1, 5), random_state=0, n_jobs=1,
                          progress=False)
    fig = plots.sweep_curves(result)
    assert len(fig.axes) == 4
    rec = result.recommend().loc[0, "n_topics"]
    stars = [ln for ln in fig.axes[0].lines if ln.get_marker() == "*"]
    assert [int(s.get_xdata()[0]) for s in stars] == [rec]


def test_tag_topic_heatmap_shows_log_lift(model, albums):
    table = topics.tag_topic_table(model, albums)
    fig = plots.tag_topic_heatmap(table)
    image = fig.axes[0].images[0].get_array()
    expected = np.log2(table.pivot(index="tag", columns="topic", values="lift").to_numpy())
    assert np.allclose(image, expected)


def test_palette_strips_from_dataframe_and_lists(albums, planted):
    fig = plots.palette_strips(albums.head(4))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"a{i} — t{i}" for i in range(4)]
    widths = np.array([p.get_width() for p in ax.patches[:40]])
    assert np.allclose(widths, planted.palettes[0][:, 3] / planted.palettes[0][:, 3].sum())
    assert isinstance(plots.palette_strips([[(255, 0, 0), (0, 0, 255)]], proportional=False), Figure)


def test_strip_pixels_give_each_colour_its_share_of_the_width():
    row = plots.strip_pixels([(255, 0, 0), (0, 0, 255)], [0.75, 0.25], width=40)
    assert row.shape == (40, 3) and (row[:30] == (255, 0, 0)).all() and (row[30:] == (0, 0, 255)).all()
    assert (plots.strip_pixels([(1, 2, 3), (4, 5, 6)], None, width=10)[5:] == (4, 5, 6)).all()  # equal widths
    assert (plots.strip_pixels(None, None, width=4) == 255).all()  # no palette: a white row


def test_palettes_by_group_one_panel_per_group_in_order(albums):
    groups = albums["tags"].map(lambda t: t[0])
    fig = plots.palettes_by_group(albums, groups, order=["tag2", "tag0"], per_group=5, columns=2)
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title().split(" (")[0] for ax in shown] == ["tag2", "tag0", "tag1"]
    first = albums[groups == "tag2"].head(5)
    expected = np.stack([plots.strip_pixels(c, p) for c, p in zip(first["colorgram"], first["proportions"],
                                                                   strict=True)])
    assert (shown[0].images[0].get_array() == expected).all() and shown[0].get_title() == "tag2 (5)"


def test_heatmap_rows_are_genres_or_places_never_mixed(model, albums):
    where = ["Oslo" if i % 2 else "Detroit" for i in range(len(albums))]
    placed = albums.assign(tags=[[*t, w] for t, w in zip(albums["tags"], where, strict=True)],  # as Bandcamp lists
                           location=[w + ", Norway" if w == "Oslo" else w for w in where])
    genre_rows = [t.get_text() for t in plots.tag_topic_heatmap(topics.tag_topic_table(model, placed)).axes[0]
                  .get_yticklabels()]
    assert genre_rows == ["tag0", "tag1", "tag2"]
    fig = plots.tag_topic_heatmap(topics.place_topic_table(model, placed))
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Detroit", "Oslo"]
    assert fig.axes[0].get_title().startswith("place × topic")
    empty = plots.tag_topic_heatmap(topics.place_topic_table(model, albums))  # no `location`: no places known
    assert "no place is on enough albums" in empty.axes[0].texts[0].get_text() and not empty.axes[0].images
