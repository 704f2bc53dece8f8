"""bcanalysis.plots: every function returns a Figure whose content follows the model and data it was given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _planted import planted_albums
from matplotlib.figure import Figure

from bcanalysis import analysis, plots, prepare, topics


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(400, 3, random_state=2)


@pytest.fixture(scope="module")
def model(planted) -> topics.ColorTopics:
    return topics.ColorTopics(n_topics=3, random_state=0).fit(planted.palettes)


@pytest.fixture(scope="module")
def albums(planted) -> pd.DataFrame:
    return planted_albums(planted)


def _cell_colors(ax) -> np.ndarray:
    return np.array([p.get_facecolor()[:3] for p in ax.patches])


def test_topic_grid_rows_are_the_topics_top_colours(model, tmp_path):
    fig = plots.topic_grid(prepare.topic_grid(model, 6))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    cells = _cell_colors(ax).reshape(3, 6, 3)
    for k in range(3):
        assert np.allclose(cells[k], model.top_colors(k, 6, order="hls") / 255)
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{k}: {model.topic_label(k)}" for k in range(3)]
    fig.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 1000


def test_topic_grid_weights_set_cell_widths(model):
    ax = plots.topic_grid(prepare.topic_grid(model, 5, order="weight"), weights=True, names=False).axes[0]
    widths = np.array([p.get_width() for p in ax.patches]).reshape(3, 5)
    w = np.stack([model.top_weights(k, 5) for k in range(3)])
    assert np.allclose(widths, w / w.sum(axis=1, keepdims=True) * 5)


@pytest.mark.slow
def test_sweep_curves_mark_the_recommendation(planted):
    result = topics.sweep(planted.palettes, bits=(12,), n_topics=range(1, 5), random_state=0, n_jobs=1, progress=False)
    fig = plots.sweep_curves(result)
    assert len(fig.axes) == 4
    rec = result.recommend().loc[0, "n_topics"]
    stars = [ln for ln in fig.axes[0].lines if ln.get_marker() == "*"]
    assert [int(s.get_xdata()[0]) for s in stars] == [rec]
    # perplexities of 9- and 15-bit differ tenfold: on a linear axis the smaller depths' curves lie flat
    assert fig.axes[0].get_yscale() == "log" and "log" in fig.axes[0].get_title()


def test_tag_topic_heatmap_shows_log_lift(model, albums):
    table = analysis.tag_topic_table(model, albums)
    fig = plots.tag_topic_heatmap(table)
    image = fig.axes[0].images[0].get_array()
    expected = np.log2(table.pivot(index="tag", columns="topic", values="lift").to_numpy())
    assert np.allclose(image, expected)


def test_palette_strips_from_dataframe_and_lists(albums, planted):
    fig = plots.palette_strips(prepare.palette_strips(albums.head(4)))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"a{i} — t{i}" for i in range(4)]
    widths = np.array([p.get_width() for p in ax.patches[:40]])
    assert np.allclose(widths, planted.palettes[0][:, 3] / planted.palettes[0][:, 3].sum())
    assert isinstance(
        plots.palette_strips(prepare.palette_strips([[(255, 0, 0), (0, 0, 255)]], proportional=False)), Figure
    )


def test_palettes_by_group_one_panel_per_group_in_order(albums):
    groups = albums["tags"].map(lambda t: t[0])
    fig = plots.palettes_by_group(albums, groups, order=["tag2", "tag0"], per_group=5, columns=2)
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title().split(" (")[0] for ax in shown] == ["tag2", "tag0", "tag1"]
    first = albums[groups == "tag2"].head(5)
    expected = prepare.palette_strips(first).pixels()
    assert (shown[0].images[0].get_array() == expected).all() and shown[0].get_title() == "tag2 (5)"


@pytest.mark.slow
def test_heatmap_rows_are_genres_or_places_never_mixed(model, albums):
    where = ["Oslo" if i % 2 else "Detroit" for i in range(len(albums))]
    placed = albums.assign(
        tags=[[*t, w] for t, w in zip(albums["tags"], where, strict=True)],  # as Bandcamp lists
        location=[w + ", Norway" if w == "Oslo" else w for w in where],
    )
    genre_rows = [
        t.get_text() for t in plots.tag_topic_heatmap(analysis.tag_topic_table(model, placed)).axes[0].get_yticklabels()
    ]
    assert genre_rows == ["tag0", "tag1", "tag2"]
    fig = plots.tag_topic_heatmap(analysis.place_topic_table(model, placed))
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Detroit", "Oslo"]
    assert fig.axes[0].get_title().startswith("place × topic")
    empty = plots.tag_topic_heatmap(analysis.place_topic_table(model, albums))  # no `location`: no places known
    assert isinstance(empty, plots.Note) and "no album in this corpus has a known place" in str(empty)
    few = plots.tag_topic_heatmap(analysis.place_topic_table(model, placed, min_albums=10_000))
    assert isinstance(few, plots.Note) and "no place is on 10000 or more albums" in str(few)


TEX = ["$x^$", "$$", "price $5 and $6", r"a_b \alpha"]  # TeX to matplotlib: unbalanced, empty, two "formulas"


@pytest.mark.slow
def test_labels_are_text_never_math(model, albums, tmp_path):
    """Tags, titles and names are drawn as written: a tag "$x^$" used to stop matplotlib (ParseException) and kill
    the report's heatmap; "$$" vanished. Every figure is rendered to PNG here, and its labels read back."""
    import io

    n = len(albums)
    tagged = albums.assign(
        tags=[[TEX[i % len(TEX)]] for i in range(n)], title=[TEX[(i + 1) % len(TEX)] for i in range(n)], artist="A"
    )
    heat = plots.tag_topic_heatmap(analysis.tag_topic_table(model, tagged))
    strips = plots.palette_strips(prepare.palette_strips(tagged.head(4)))
    years = pd.to_datetime([f"{2010 + i % 3}-01-01" for i in range(n)])
    trend = analysis.trends(None, tagged.assign(release_date=years), n_boot=10)
    lines = plots.stat_trends(trend, "lightness", highlight=[TEX[0]])
    for fig in (heat, strips, lines):
        fig.savefig(io.BytesIO(), format="png")  # raised ValueError (mathtext ParseException) before
        shown = {t.get_text() for ax in fig.axes for t in [*ax.get_yticklabels(), *ax.texts]}
        if ax_legend := fig.axes[0].get_legend():
            shown |= {t.get_text() for t in ax_legend.get_texts()}
        assert any(tex in label for label in shown for tex in TEX), "the labels with $ are drawn as written"
    assert sorted(t.get_text() for t in heat.axes[0].get_yticklabels()) == sorted(TEX)
    assert {t.get_text() for t in lines.axes[0].get_legend().get_texts()} >= {TEX[0]}  # no \$ escapes either
    log = plots.space_comparison(
        pd.DataFrame(
            {
                "space": ["rgb", "rgb"],
                "bits": [9, 12],
                "coherence_npmi": [0.1, 0.2],
                "stability": [0.9, 0.8],
                "tag_accuracy": [0.5, 0.6],
                "vocabulary": [100, 1000],
            }
        )
    )
    log.savefig(io.BytesIO(), format="png")
    assert log.axes[3].get_yscale() == "log"  # automatic (log) axes keep math text for their 10^n numbers
