"""Similar covers: Hellinger distances against scipy, neighbours on planted topics against brute force, and their
palettes' distances beside a random baseline (`similar_palettes`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from bcanalysis import palette
from bcanalysis.album_table import album_palettes
from bcanalysis.analysis import topic_weights
from bcanalysis.analysis.similar import SimilarCovers, hellinger, similar, similar_palettes
from bcanalysis.topics import ColorTopics, planted_palettes


@pytest.fixture(scope="module")
def planted_albums():
    """Albums whose palettes come from 6 planted topics, fitted with the default engine."""
    planted = planted_palettes(600, 6, alpha=0.05, random_state=4)
    albums = pd.DataFrame(
        {
            "url": [f"https://s{i}.bandcamp.com/album/a{i}" for i in range(600)],
            "title": [f"album {i}" for i in range(600)],
            "tags": [["demo"]] * 600,
            "colorgram": [[tuple(map(int, c[:3])) for c in p] for p in planted.palettes],
            "proportions": [list(p[:, 3]) for p in planted.palettes],
        }
    )
    albums.loc[5, ["colorgram", "proportions"]] = None  # one album without a cover palette
    model = ColorTopics(bits=12, n_topics=6, random_state=0).fit(albums["colorgram"].drop(5).tolist())
    return planted, albums, model


def test_hellinger_matches_scipy_euclidean_of_square_roots():
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(18), 50), rng.dirichlet(np.ones(18))
    expected = cdist(np.sqrt(p), np.sqrt(q)[None, :]).ravel() / np.sqrt(2)
    assert hellinger(p, q) == pytest.approx(expected, abs=1e-9)
    assert hellinger(q[None, :], q)[0] == pytest.approx(0, abs=1e-7)


def test_neighbours_are_nearest_by_brute_force_and_share_the_planted_topic(planted_albums):
    planted, albums, model = planted_albums
    weights = topic_weights(model, albums)
    url = albums.loc[0, "url"]
    got = similar(model, albums, url, n=10, weights=weights)
    assert url not in set(got["url"]) and len(got) == 10
    brute = cdist(np.sqrt(weights.to_numpy()), np.sqrt(weights.loc[[0]].to_numpy())).ravel() / np.sqrt(2)
    brute[weights.index.get_loc(0)] = np.inf
    assert list(got.index) == list(weights.index[np.argsort(brute, kind="stable")[:10]])
    assert got["distance"].is_monotonic_increasing
    # Neighbours in fitted topic space share the query's dominant planted topic far above chance.
    dominant = planted.mixtures.argmax(axis=1)
    share = np.mean(dominant[got.index] == dominant[0])
    assert share >= 0.7, share


def test_query_errors_name_the_album(planted_albums):
    _, albums, model = planted_albums
    index = SimilarCovers(model, albums)
    with pytest.raises(ValueError, match="has no palette"):
        index.query(albums.loc[5, "url"])
    with pytest.raises(ValueError, match="nope.*not in the albums"):
        index.query("https://nope.bandcamp.com/album/x")
    with pytest.raises(ValueError, match="got 0"):
        index.query(albums.loc[0, "url"], n=0)


def test_an_index_over_25000_albums_answers_as_brute_force_does():
    """What the widget asks on every click, at the analysis's scale (its speed: benchmarks/bench_views.py)."""
    rng = np.random.default_rng(1)
    n = 25_000
    albums = pd.DataFrame({"url": [f"https://s.bandcamp.com/album/{i}" for i in range(n)], "colorgram": [None] * n})
    weights = pd.DataFrame(rng.dirichlet(np.full(18, 0.1), n), index=albums.index)
    index = SimilarCovers(None, albums, weights)
    for i in (0, 7, n - 1):
        got = index.query(albums.loc[i, "url"], n=12)
        brute = cdist(np.sqrt(weights.to_numpy()), np.sqrt(weights.loc[[i]].to_numpy())).ravel() / np.sqrt(2)
        brute[i] = np.inf
        assert list(got.index) == list(np.argsort(brute, kind="stable")[:12])


def test_similar_palettes_adds_emd_and_a_random_baseline(planted_albums) -> None:
    _, albums, model = planted_albums
    query, near = similar_palettes(model, albums, 0, n=5, baseline=20)
    assert query["url"] == albums["url"].iloc[0] and len(near) == 5
    assert list(near["distance"]) == sorted(near["distance"])
    index, palettes = album_palettes(albums)
    mine = palettes[0]
    first = near.index[0]
    assert near.loc[first, "palette_emd"] == pytest.approx(palette.distance(mine, palettes[list(index).index(first)]))
    assert near.attrs["baseline_n"] == 20 and np.isfinite(near.attrs["baseline_emd"])
    assert -1 <= near.attrs["spearman"] <= 1
    # planted topics: the nearest covers in topic space are nearer in palette space than random covers
    assert near["palette_emd"].median() < near.attrs["baseline_emd"]
    by_url, _ = similar_palettes(model, albums, albums["url"].iloc[3], n=2, baseline=0)
    assert by_url["url"] == albums["url"].iloc[3]


def test_similar_palettes_bad_query(planted_albums) -> None:
    _, albums, model = planted_albums
    with pytest.raises(ValueError, match="out of range"):
        similar_palettes(model, albums, 10_000)
    with pytest.raises(ValueError, match="is not in the albums"):
        similar_palettes(model, albums, "https://nope.bandcamp.com/album/x")
    with pytest.raises(ValueError, match="position .* or an album URL"):
        similar_palettes(model, albums, 1.5)
