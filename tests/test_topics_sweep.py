"""bcanalysis.topics sweep, cache, recommendation and metrics, checked against planted truth and scipy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from bcanalysis import album_table, topics
from bcanalysis.topics import metrics, selection


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(1200, 4, random_state=11)


@pytest.fixture(scope="module")
def swept(planted, tmp_path_factory) -> tuple[topics.SweepResult, object]:
    cache = tmp_path_factory.mktemp("cache")
    result = topics.sweep(
        planted.palettes, bits=(9, 12), n_topics=range(1, 7), random_state=0, cache_dir=cache, n_jobs=2, progress=False
    )
    return result, cache


@pytest.mark.slow
def test_sweep_table_has_every_metric(swept):
    result, _ = swept
    t = result.table
    assert len(t) == 12 and sorted(set(t["bits"])) == [9, 12] and list(t["n_topics"][:6]) == [1, 2, 3, 4, 5, 6]
    for col in ("perplexity", "coherence_npmi", "coherence_umass", "diversity", "stability", "fit_seconds"):
        assert t[col].notna().all(), col
    assert not t["cached"].any()
    assert (t["diversity"] <= 1).all() and (t["stability"] <= 1 + 1e-9).all()
    assert (t.loc[t["n_topics"] == 1, "stability"] > 0.999).all()  # one topic: every seed finds the same one


def test_sweep_recovers_and_recommends_the_planted_number(planted, swept):
    result, _ = swept
    assert topics.recovery(planted.topics, planted.colors, result.model(12, 4)) >= 0.95
    rec = result.recommend()
    assert list(rec["bits"]) == [9, 12]
    assert rec.loc[rec["bits"] == 12, "n_topics"].item() == 4
    assert rec.loc[rec["bits"] == 12, "reason"].item().startswith("12 bit: n = 4. ")
    t = result.table[result.table["bits"] == 12].set_index("n_topics")
    assert t.loc[4, "perplexity"] < 0.9 * t.loc[3, "perplexity"]
    assert t.loc[4, "stability"] > 0.95
    assert t.loc[3, "excess"] > t.loc[3, "excess_se"] and rec.loc[rec["bits"] == 12, "supported"].item()


@pytest.mark.slow
def test_best_seed_is_the_model_returned_numbered_by_share(planted, swept):
    result, _ = swept
    table = result.table.set_index(["bits", "n_topics"])
    for (b, k), models in result.restart_models.items():
        lls = [m.meta_["log_likelihood"] for m in models]
        best, shown = models[int(np.argmax(lls))], result.model(b, k)
        order = shown.meta_["engine_topics"]  # the best seed's topics, renumbered by share of the palettes swept
        assert sorted(order) == list(range(k)) and np.array_equal(shown.components_, best.components_[order])
        shares = topics.topic_shares(shown, planted.palettes)
        assert np.all(np.diff(shares) <= 0) and np.allclose(shares, shown.meta_["topic_shares"])
        assert result.model(b, k) is shown and (b, k) in result.models  # numbered once, then kept
        # held-out perplexity: the geometric mean over the seeds
        seeds = [m.meta_["heldout_perplexity"] for m in models]
        assert table.loc[(b, k), "perplexity"] == pytest.approx(np.exp(np.mean(np.log(seeds))))
    with pytest.raises(KeyError, match="bits=12, n_topics=99"):
        result.model(12, 99)


@pytest.mark.slow
def test_the_excess_standard_error_agrees_with_a_jackknife_over_held_out_palettes(planted):
    """One seed: the standard error of the perplexity difference is the held-out palettes' sampling error alone;
    a leave-one-palette-out jackknife of the log perplexity difference must agree with the delta method."""
    from bcanalysis.topics.model import completion_loglik, holdout_split

    result = topics.sweep(
        planted.palettes, bits=12, n_topics=[3, 4, 5], n_restarts=1, random_state=0, n_jobs=1, progress=False
    )
    dt = topics.vectorize(planted.palettes, 12)
    _, held = holdout_split(dt.n_docs, 0.1, 0)
    scores = {k: completion_loglik(result.restart_models[(12, k)][0], dt.counts[held]) for k in (3, 4, 5)}
    t = result.table.set_index("n_topics")
    best = int(t["perplexity"].idxmin())

    def gap(a: np.ndarray, b: np.ndarray, w: np.ndarray, keep: np.ndarray) -> float:
        return (b[keep].sum() - a[keep].sum()) / w[keep].sum()  # log perplexity of a minus that of b

    for k in (3, 4, 5):
        (a, w), (b, _) = scores[k], scores[best]
        m = len(w)
        loo = np.array([gap(a, b, w, np.arange(m) != i) for i in range(m)])
        jack = np.sqrt((m - 1) / m * np.sum((loo - loo.mean()) ** 2))
        assert np.exp(gap(a, b, w, np.arange(m))) - 1 == pytest.approx(t.loc[k, "excess"], rel=1e-9, abs=1e-12)
        assert t.loc[k, "excess_se"] == pytest.approx((1 + t.loc[k, "excess"]) * jack, rel=0.05, abs=1e-12)


@pytest.mark.slow
def test_second_sweep_fits_nothing(planted, swept, monkeypatch):
    result, cache = swept
    calls = []
    real = topics.ColorTopics.fit_doc_term
    monkeypatch.setattr(topics.ColorTopics, "fit_doc_term", lambda self, dt: calls.append(self) or real(self, dt))
    again = topics.sweep(
        planted.palettes, bits=(9, 12), n_topics=range(1, 7), random_state=0, cache_dir=cache, n_jobs=1, progress=False
    )
    assert calls == []
    assert again.table["cached"].all()
    cols = ["perplexity", "coherence_npmi", "diversity", "stability"]
    assert np.array_equal(again.table[cols].to_numpy(), result.table[cols].to_numpy())
    # a new n, another seed or another weighting is a miss, and only the missing fits run
    topics.sweep(planted.palettes, bits=12, n_topics=[4, 7], random_state=0, cache_dir=cache, n_jobs=1, progress=False)
    assert len(calls) == 2  # n=7, two seeds


def test_cache_key_covers_what_changes_a_fit():
    base = ("fp", 12, 5, "count", "tomotopy", 1, {})
    key = selection.cache_key(*base)
    for i, other in [(0, "fp2"), (1, 9), (2, 6), (3, "proportion"), (4, "sklearn"), (5, 2), (6, {"alpha": 0.5})]:
        changed = list(base)
        changed[i] = other
        assert selection.cache_key(*changed) != key
    assert selection.cache_key(*base) == key


def test_sweep_rejects_bad_grids(planted):
    pals = planted.palettes[:50]
    with pytest.raises(ValueError, match="got 8"):
        topics.sweep(pals, bits=(8,), progress=False)
    with pytest.raises(ValueError, match="n_topics=600"):
        topics.sweep(pals, bits=(3,), n_topics=[2, 600], progress=False)
    with pytest.raises(ValueError, match="n_topics is empty"):
        topics.sweep(pals, bits=(12,), n_topics=[], progress=False)
    with pytest.raises(ValueError, match="empty corpus"):
        topics.sweep([], bits=(12,), progress=False)


# --- metrics against their definitions ---------------------------------------------------------------------


def test_matched_similarity_is_the_optimal_assignment():
    rng = np.random.default_rng(3)
    a, b = rng.dirichlet(np.ones(30), 5), rng.dirichlet(np.ones(30), 5)
    cos = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    brute = max(np.mean([cos[i, p[i]] for i in range(5)]) for p in itertools.permutations(range(5)))
    assert metrics.matched_similarity(a, b) == pytest.approx(brute)
    assert metrics.matched_similarity(a, a[[3, 1, 4, 0, 2]]) == pytest.approx(1.0)
    assert metrics.matched_similarity(a, a[:3]) == pytest.approx(3 / 5)  # unmatched topics count as 0


def test_diversity_counts_unique_top_words():
    same = np.tile(np.arange(40, 0, -1, dtype=float), (4, 1))
    assert metrics.topic_diversity(same, n=25) == pytest.approx(1 / 4)
    disjoint = np.kron(np.eye(4), np.ones(25)) + 1e-9
    assert metrics.topic_diversity(disjoint, n=25) == pytest.approx(1.0)


def test_npmi_and_umass_follow_their_formulas():
    # words 0, 1 always together; word 2 never with them; 4 documents
    counts = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]]))
    together = np.array([[0.5, 0.4, 0.1]])
    apart = np.array([[0.5, 0.1, 0.4]])
    assert metrics.coherence_npmi(together, counts, n=2)[0] == pytest.approx(1.0, abs=1e-9)
    assert metrics.coherence_npmi(apart, counts, n=2)[0] == -1.0
    # UMass: log((D(w1, w0) + 1) / D(w0)) = log(3 / 2)
    assert metrics.coherence_umass(together, counts, n=2)[0] == pytest.approx(np.log(3 / 2))
    assert metrics.coherence_umass(apart, counts, n=2)[0] == pytest.approx(np.log(1 / 2))


def test_planted_topics_are_more_coherent_than_shuffled(planted):
    counts = topics.vectorize(planted.palettes, 12).counts
    truth = metrics.align_to_colors(planted.topics, planted.colors, topics.vectorize(planted.palettes, 12).colors)
    shuffled = truth[:, np.random.default_rng(0).permutation(truth.shape[1])]
    assert metrics.coherence_npmi(truth, counts).mean() > metrics.coherence_npmi(shuffled, counts).mean() + 0.2
    present = metrics.word_presence(counts)  # built once, as the sweep does per depth: the same numbers
    for coherence in (metrics.coherence_npmi, metrics.coherence_umass):
        for topics_ in (truth, shuffled):
            assert np.array_equal(
                coherence(topics_, counts, presence=present), coherence(topics_, counts), equal_nan=True
            )


@pytest.mark.slow
def test_sweep_runs_the_analysis_engine_too(planted):
    result = topics.sweep(
        planted.palettes[:400],
        bits=12,
        n_topics=[2, 4],
        weighting="tfidf",
        engine="sklearn",
        random_state=0,
        n_jobs=1,
        progress=False,
        engine_options={"max_iter": 5},
    )
    assert result.table["perplexity"].notna().all()
    model = result.model(12, 4)
    assert model.engine == "sklearn" and model.engine_params_["max_iter"] == 5


def test_palette_arrays_from_the_corpus_give_the_same_documents_and_fits_as_palette_lists(tmp_path):
    from types import SimpleNamespace

    from bcanalysis.store import Corpus, Cover
    from bcanalysis.topics.vectorize import vectorize

    planted = topics.planted_palettes(200, 4, random_state=11)
    with Corpus(tmp_path / "c.sqlite") as corpus:
        for i, pal in enumerate(planted.palettes):
            album_id = corpus.add_album(
                {"url": f"u{i}", "store": "s", "album": str(i), "title": "t", "artist": "a"}, Cover("missing", "-")
            )
            corpus.save_palettes(
                [(album_id, [SimpleNamespace(rgb=tuple(int(v) for v in c[:3]), proportion=c[3]) for c in pal])],
                "test/1",
            )
        arrays, albums = corpus.palette_arrays(), corpus.albums()
    _, lists = album_table.album_palettes(albums)
    for bits in (9, 12):
        a, b = vectorize(arrays, bits), vectorize(lists, bits)
        assert (a.counts != b.counts).nnz == 0 and (a.pseudo != b.pseudo).nnz == 0
        assert a.fingerprint() == b.fingerprint()  # one cache entry whichever form the palettes came in
    fit_a = topics.ColorTopics(bits=12, n_topics=4, random_state=0).fit(arrays)
    fit_b = topics.ColorTopics(bits=12, n_topics=4, random_state=0).fit(lists)
    assert np.array_equal(fit_a.components_, fit_b.components_)
    assert np.allclose(fit_a.transform(arrays), fit_b.transform(lists))


def test_a_proportion_sweep_fits_area_pseudocounts():
    from bcanalysis.topics.model import holdout_split
    from bcanalysis.topics.vectorize import vectorize

    palettes = topics.planted_palettes(120, 3, random_state=5).palettes
    result = topics.sweep(
        palettes,
        bits=(9,),
        n_topics=[3],
        weighting="proportion",
        n_restarts=1,
        random_state=2,
        n_jobs=1,
        progress=False,
    )
    dt = vectorize(palettes, 9)
    train, _ = holdout_split(dt.n_docs, 0.1, 2)
    swept = result.model(9, 3)  # a cell's restart: its parameters are those of the fit it holds
    assert swept.weighting == "proportion" and swept.random_state == swept.meta_["random_state"]
    expected = clone(swept).fit_doc_term(dt.rows(train))
    assert np.array_equal(swept.components_, expected.by_share(palettes).components_)
    counts = clone(swept).set_params(weighting="count").fit_doc_term(dt.rows(train))
    assert not np.array_equal(counts.components_, expected.components_)  # the two weightings do differ here
