"""Similar covers: Hellinger distances against scipy, neighbours on planted topics, query time."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from bcanalysis.topics import fit, planted_palettes, topic_weights
from bcanalysis.topics.similar import SimilarCovers, hellinger, similar


@pytest.fixture(scope="module")
def planted_albums():
    """Albums whose palettes come from 6 planted topics, fitted with the default engine."""
    planted = planted_palettes(600, 6, alpha=0.05, random_state=4)
    albums = pd.DataFrame({
        "url": [f"https://s{i}.bandcamp.com/album/a{i}" for i in range(600)],
        "title": [f"album {i}" for i in range(600)],
        "tags": [["demo"]] * 600,
        "colorgram": [[tuple(map(int, c[:3])) for c in p] for p in planted.palettes],
        "proportions": [list(p[:, 3]) for p in planted.palettes],
    })
    albums.loc[5, ["colorgram", "proportions"]] = None  # one album without a cover palette
    model = fit(albums["colorgram"].drop(5).tolist(), bits=12, n_topics=6, random_state=0)
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


def test_query_over_25000_albums_is_fast_enough_for_a_widget():
    rng = np.random.default_rng(1)
    n = 25_000
    albums = pd.DataFrame({"url": [f"https://s.bandcamp.com/album/{i}" for i in range(n)], "colorgram": [None] * n})
    weights = pd.DataFrame(rng.dirichlet(np.full(18, 0.1), n), index=albums.index)
    index = SimilarCovers(None, albums, weights)
    index.query(albums.loc[0, "url"])
    start = time.perf_counter()
    for i in range(20):
        got = index.query(albums.loc[i, "url"], n=12)
    per_query = (time.perf_counter() - start) / 20
    assert len(got) == 12 and per_query < 0.2, per_query
