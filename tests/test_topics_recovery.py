"""Recovery for every seed (issue 11): the Gibbs engine's start, checked against planted truth, tomotopy's own
likelihood and brute force over every grouping."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bcanalysis import topics
from bcanalysis.topics import gibbs, merge


@pytest.mark.parametrize(("n_palettes", "n_topics", "seeds"), [(3000, 12, range(4)), (6000, 18, range(3))])
@pytest.mark.slow
def test_default_fit_recovers_every_seed_on_an_overlapping_corpus(n_palettes, n_topics, seeds):
    planted = topics.planted_palettes(n_palettes, n_topics, random_state=1, overlap=0.3)
    for seed in seeds:
        model = topics.ColorTopics(n_topics=n_topics, random_state=seed).fit(planted.palettes)
        assert topics.recovery(planted.topics, planted.colors, model) >= 0.97, seed


def _closest_other(t: np.ndarray) -> float:
    n = t / np.linalg.norm(t, axis=1, keepdims=True)
    return float((n @ n.T - 2 * np.eye(len(t))).max(axis=1).mean())


def test_overlap_makes_planted_topics_share_colours():
    plain = np.mean([_closest_other(topics.planted_palettes(10, 12, random_state=g).topics) for g in range(5)])
    shared = np.mean(
        [_closest_other(topics.planted_palettes(10, 12, random_state=g, overlap=0.5).topics) for g in range(5)]
    )
    assert shared > plain + 0.05
    with pytest.raises(ValueError, match="overlap.*1.5"):
        topics.planted_palettes(10, 3, overlap=1.5)


def test_collapsed_likelihood_is_tomotopys():
    X = topics.vectorize(topics.planted_palettes(300, 4, random_state=2).palettes, 9).counts
    model = gibbs._model(X, 4, 0.5, 0.01, 7, None)
    model.train(20, workers=1)
    ndk, nkw = gibbs._state(model, X.shape[1])
    assert ndk.sum() == nkw.sum() == X.sum()
    ours = gibbs.collapsed_log_likelihood(ndk, nkw, 0.5, 0.01)
    assert ours == pytest.approx(model.ll_per_word * X.sum(), rel=2e-5)  # tomotopy sums in single precision


def _split_topics(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three true topics over disjoint words, each cut into two halves (6 exploratory topics), 20 palettes each."""
    n_words, true = 30, np.repeat(np.arange(3), 2)
    nkw = np.zeros((6, n_words))
    ndk = np.zeros((60, 6))
    for doc in range(60):
        k = doc // 20
        words = rng.choice(np.arange(10 * k, 10 * k + 10), size=30)
        half = rng.random(30) < 0.5
        for w, h in zip(words, half, strict=True):
            nkw[2 * k + h, w] += 1
            ndk[doc, 2 * k + h] += 1
    return ndk, nkw, true


def _grouping_ll(group: np.ndarray, ndk: np.ndarray, nkw: np.ndarray, k: int) -> float:
    W = np.stack([nkw[group == g].sum(axis=0) for g in range(k)])
    D = np.stack([ndk[:, group == g].sum(axis=1) for g in range(k)], axis=1)
    return gibbs.collapsed_log_likelihood(D, W, 0.5, 0.01)


def _groupings(n: int, k: int):
    for labels in itertools.product(range(k), repeat=n):
        if set(labels) == set(range(k)) and labels[0] == 0:
            yield np.array(labels)


def test_greedy_merge_takes_the_pair_brute_force_prefers():
    ndk, nkw, _ = _split_topics(np.random.default_rng(0))
    first = merge.merge_topics(ndk, nkw, 5, 0.5, 0.01)  # one merge
    best = max(_groupings(6, 5), key=lambda g: _grouping_ll(g, ndk, nkw, 5))
    assert _grouping_ll(first, ndk, nkw, 5) == pytest.approx(_grouping_ll(best, ndk, nkw, 5))


def test_refinement_undoes_a_merged_pair_and_a_split_topic():
    ndk, nkw, true = _split_topics(np.random.default_rng(1))
    bad = np.array([0, 0, 0, 0, 1, 2])  # true topics 0 and 1 in one group, true topic 2 over two groups
    fixed = merge.refine_groups(bad, ndk, nkw, 0.5, 0.01)
    best = max(_groupings(6, 3), key=lambda g: _grouping_ll(g, ndk, nkw, 3))
    assert _grouping_ll(fixed, ndk, nkw, 3) == pytest.approx(_grouping_ll(best, ndk, nkw, 3))
    assert len({(t, f) for t, f in zip(true, fixed, strict=True)}) == 3  # the true topics, up to names


def test_random_start_is_still_available():
    planted = topics.planted_palettes(400, 3, random_state=5)
    model = topics.ColorTopics(n_topics=3, random_state=0, engine_options={"init": "random"}).fit(planted.palettes)
    assert model.engine_params_["init"] == "random" and model.engine_params_["alpha"] == 0.5
    assert topics.recovery(planted.topics, planted.colors, model) > 0.8
