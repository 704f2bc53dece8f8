"""One numbering per model: topics ordered by their share of the corpus, from 0 (the largest), in every view of a
model — notebook 04's grids, 05's palettes, table, genre table and explorer, 06's intertopic map.

A topic is recognised by its colour distribution (its row of `components_`), never by its number: the test finds
each topic's row in every view's data and checks it sits under the same number everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bcanalysis import analysis, plots, topics, widgets
from bcanalysis.colorspace import to_words
from bcanalysis.prepare import topic_grid
from bcanalysis.topics.metrics import align_to_colors
from bcanalysis.widgets.views import topic_grid_pixels


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(500, 5, random_state=8)


@pytest.fixture(scope="module")
def albums(planted) -> pd.DataFrame:
    dominant = planted.mixtures.argmax(axis=1)
    return pd.DataFrame(
        {
            "colorgram": [[tuple(int(v) for v in c[:3]) for c in p] for p in planted.palettes],
            "proportions": [list(p[:, 3]) for p in planted.palettes],
            "found_under": [[f"genre{d}"] for d in dominant],
        }
    )


@pytest.fixture(scope="module")
def sweep(planted):
    return topics.sweep(planted.palettes, bits=(9, 12), n_topics=[3, 5], random_state=0, n_jobs=1, progress=False)


def _numbers(model, rows: list[np.ndarray]) -> list[int]:
    """For each topic of `model`: the index of the view row showing its top colours (rows: colour arrays)."""
    keys = [to_words(r) for r in rows]
    return [keys.index(to_words(model.top_colors(k, len(rows[0]), order="hls"))) for k in range(model.n_topics)]


def _by_share(shares) -> bool:
    return bool(np.all(np.diff(np.asarray(shares, dtype=float)) <= 0))


@pytest.mark.slow
def test_fit_numbers_topics_by_share(planted) -> None:
    model = topics.ColorTopics(bits=12, n_topics=5, random_state=0).fit(planted.palettes)
    shares = topics.topic_shares(model, planted.palettes)
    assert _by_share(shares) and np.allclose(shares, model.meta_["topic_shares"])
    table = topics.topic_table(model, planted.palettes)
    assert _by_share(table["share of corpus"]) and list(table.index) == [0, 1, 2, 3, 4]
    again = topics.ColorTopics(bits=12, n_topics=5, random_state=0, n_restarts=2).fit(planted.palettes)
    assert _by_share(topics.topic_shares(again, planted.palettes))


def test_a_saved_model_keeps_its_numbering(planted, tmp_path) -> None:
    model = topics.ColorTopics(bits=9, n_topics=4, random_state=1).fit(planted.palettes)
    loaded = topics.ColorTopics.load(model.save(tmp_path / "m"))
    assert np.array_equal(loaded.components_, model.components_)
    assert loaded.meta_["topic_shares"] == model.meta_["topic_shares"]
    assert loaded.meta_["engine_topics"] == model.meta_["engine_topics"]


@pytest.mark.slow
def test_the_same_model_shows_each_topic_under_one_number_in_04_05_and_06(sweep, planted, albums) -> None:
    model = sweep.model(12, 5)
    # 04: the topic-count explorer's grid (shares beside each row) and the grids by depth
    views = widgets.explore_topic_counts(sweep, bits=12, n_topics=5, palettes=planted.palettes, live=False)
    assert (5, 12) in views.views
    grid = topic_grid_pixels(topic_grid(sweep.model(12, 5)))
    assert _numbers(model, list(grid)) == list(range(5))
    shares = topics.topic_shares(sweep.model(12, 5), planted.palettes)
    assert _by_share(shares), "04's grid rows are not in order of share"
    # 05: the topic table, the named palettes, the genre table and the explorer
    table = topics.topic_table(model, planted.palettes)
    assert _by_share(table["share of corpus"])
    for k in range(5):
        assert table.loc[k, "top colours"].split() == to_words(model.top_colors(k, 15))
        assert table.loc[k, "colours"] == model.topic_label(k)
    fig = plots.topic_grid(topic_grid(model))
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [f"{k}: {model.topic_label(k)}" for k in range(5)]
    lift = analysis.tag_topic_table(model, albums)
    for k in range(5):
        assert set(lift.loc[lift["topic"] == k, "label"]) == {model.topic_label(k)}
    weights = analysis.topic_weights(model, albums)
    assert _by_share(weights.mean(axis=0))  # the palettes' mixtures, column k = topic k
    # 06: the intertopic map
    the_map = analysis.intertopic_map(model, albums)
    for k in range(5):
        assert the_map.loc[k, "colors"] == to_words(model.top_colors(k, 5))
    assert _by_share(the_map["prevalence"])


def test_the_same_topic_found_twice_gets_the_same_number(sweep, planted) -> None:
    """The sweep's model (04) and a refit on all palettes (05) find the planted topics; by share, each gets the
    same number in both (in engine order it did not: the issue's "minty green" was 0 in 04 and 4 in 05)."""
    final = topics.ColorTopics(bits=12, n_topics=5, random_state=0, n_restarts=3).fit(planted.palettes)
    swept = sweep.model(12, 5)
    aligned = align_to_colors(swept.components_, swept.colors_, final.colors_)
    rows, cols, cosine = topics.match_topics(aligned, final.components_)
    assert (cosine > 0.9).all() and list(rows) == list(cols), (rows, cols, cosine)
