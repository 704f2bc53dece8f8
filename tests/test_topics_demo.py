"""Recovery on the demo catalogue, whose colour themes (the true topics) and per-album mixtures are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bcanalysis import analysis, topics
from bcanalysis.quantize import quantize
from bcanalysis.topics.metrics import align_to_colors, match_topics, matched_similarity

demo = pytest.importorskip("bcanalysis.demo")


@pytest.fixture(scope="module")
def albums():
    return demo.catalogue(60, 0)


@pytest.fixture(scope="module")
def palettes(albums) -> list[list[tuple]]:
    """Each album's planted palette: theme colours weighted by theme share × colour weight."""
    return [[(*rgb, w) for rgb, w in a.palette()] for a in albums]


@pytest.fixture(scope="module")
def truth() -> tuple[list[str], np.ndarray, np.ndarray]:
    """(theme names, themes × colours weights at 12 bit, the colours)."""
    names = list(demo.THEMES)
    q = {rgb: tuple(quantize(np.array([rgb]), 12)[0].tolist()) for t in names for rgb, _ in demo.THEMES[t]}
    colors = sorted(set(q.values()))
    col = {c: i for i, c in enumerate(colors)}
    weights = np.zeros((len(names), len(colors)))
    for k, t in enumerate(names):
        for rgb, w in demo.THEMES[t]:
            weights[k, col[q[rgb]]] += w
    return names, weights, np.array(colors, dtype=np.uint8)


def _recovery(model, truth) -> float:
    _, weights, colors = truth
    return matched_similarity(weights, align_to_colors(model.components_, model.colors_, colors))


def test_demo_themes_are_recovered_better_than_by_the_analysis_pipeline(palettes, truth):
    ours = topics.ColorTopics(n_topics=18, weighting="proportion", random_state=1).fit(palettes)
    ref = topics.ColorTopics(n_topics=18, weighting="tfidf", engine="sklearn", random_state=1).fit(palettes)
    assert _recovery(ours, truth) > 0.65
    assert _recovery(ours, truth) > _recovery(ref, truth) + 0.15


def test_demo_genres_load_on_their_themes(albums, palettes, truth):
    names, weights, colors = truth
    model = topics.ColorTopics(n_topics=18, weighting="proportion", random_state=1).fit(palettes)
    df = pd.DataFrame(
        {
            "url": [a.url for a in albums],
            "title": [a.title for a in albums],
            "artist": [a.artist for a in albums],
            "tags": [[a.tag] for a in albums],
            "colorgram": [[rgb for rgb, _ in a.palette()] for a in albums],
            "proportions": [[w for _, w in a.palette()] for a in albums],
        }
    )
    table = analysis.tag_topic_table(model, df)
    rows, cols, _ = match_topics(align_to_colors(model.components_, model.colors_, colors), weights)
    theme_of = {int(r): names[c] for r, c in zip(rows, cols, strict=True)}
    hits = 0
    for tag, t in table.groupby("tag"):
        top = int(t.sort_values("lift", ascending=False).iloc[0]["topic"])
        hits += theme_of[top] in demo.TAG_THEMES[tag]
    assert hits >= 8  # of 10 genres, the topic each loads most on is one of its planted themes
