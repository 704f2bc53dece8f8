"""bcanalysis.plots: every function returns a Figure whose content follows the model and data it was given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
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
    dominant = planted.mixtures.argmax(axis=1)
    return pd.DataFrame({
        "url": [f"u{i}" for i in range(len(dominant))],
        "title": [f"t{i}" for i in range(len(dominant))],
        "artist": [f"a{i}" for i in range(len(dominant))],
        "tags": [[f"tag{d}"] for d in dominant],
        "colorgram": [[tuple(int(v) for v in c[:3]) for c in p] for p in planted.palettes],
        "proportions": [list(p[:, 3]) for p in planted.palettes],
    })


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


def test_quantization_strips_name_vocabulary_sizes(planted):
    fig = plots.quantization_strips(planted.palettes[0], bits=(12, 9), corpus=planted.palettes)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    n12 = len(topics.vectorize(planted.palettes, 12).colors)
    assert labels[1] == f"12 bit: {n12:,} colours in corpus"
    with pytest.raises(ValueError, match="got 7"):
        plots.quantization_strips(planted.palettes[0], bits=(7,))


def test_exemplar_strips_with_covers(model, albums):
    seen = []
    fig = plots.exemplar_strips(model, albums, 1, n=3, cover=lambda row: seen.append(row["url"]) or np.zeros((4, 4, 3)))
    assert seen == list(topics.exemplars(model, albums, 1, 3)["url"])
    assert len(fig.axes) == 6


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
