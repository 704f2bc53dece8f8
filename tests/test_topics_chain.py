"""The Gibbs engine's chain (issue 22): the fits of one block of topic counts come down one chain from its head,
computed once per process and seed, the same models as computed alone, recovering planted topics as well as a fit
that explores on its own. Counted, never timed."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from bcanalysis import topics
from bcanalysis.topics import gibbs


@pytest.fixture
def fresh(monkeypatch):
    """An empty store of chains and a zeroed counter, as in a new worker process."""
    monkeypatch.setattr(gibbs, "_CHAINS", {})
    monkeypatch.setattr(gibbs, "EXPLORE_COUNT", [0])


def _doc_term(n: int = 400, k: int = 4):
    return topics.vectorize(topics.planted_palettes(n, k, random_state=3).palettes, 9)


def test_blocks_of_topic_counts_are_headed_by_their_largest():
    assert [gibbs.chain_top(k) for k in (2, 9, 19, 20, 39, 40)] == [19, 19, 19, 39, 39, 59]
    assert gibbs.explore_topics(12) == 57


def test_fits_of_one_block_and_seed_come_down_one_chain(fresh):
    X = _doc_term().counts
    alone = gibbs.fit(X, 4, 5)
    assert gibbs.EXPLORE_COUNT[0] == 1
    gibbs._CHAINS.clear()
    gibbs.fit(X, 6, 5)
    shared = gibbs.fit(X, 4, 5)  # K = 6 then 4, one seed: the chain goes on from 6 down to 4
    assert gibbs.EXPLORE_COUNT[0] == 2
    np.testing.assert_array_equal(shared[0], alone[0])  # reading the chain back changes nothing
    assert shared[2:] == alone[2:]
    again = gibbs.fit(X, 5, 5)  # the chain has passed 5: a new one, the same fit as alone
    assert gibbs.EXPLORE_COUNT[0] == 3
    gibbs._CHAINS.clear()
    np.testing.assert_array_equal(again[0], gibbs.fit(X, 5, 5)[0])
    gibbs.fit(X, 4, 6)  # another seed: another chain
    assert gibbs.EXPLORE_COUNT[0] == 5


def test_a_sweep_explores_once_per_restart_and_block(fresh):
    palettes = topics.planted_palettes(400, 4, random_state=3).palettes
    result = topics.sweep(
        palettes, bits=(9,), n_topics=[3, 4, 5], n_restarts=2, random_state=1, n_jobs=1, progress=False
    )
    assert gibbs.EXPLORE_COUNT[0] == 2  # one chain (head 19) per restart, not one exploratory fit per fit (6)
    seeds = [m.random_state for m in result.restart_models[(9, 3)]]
    assert [m.random_state for m in result.restart_models[(9, 5)]] == seeds  # one seed per restart at every n
    gibbs._CHAINS.clear()
    again = topics.sweep(
        palettes, bits=(9,), n_topics=[5, 4, 3], n_restarts=2, random_state=1, n_jobs=1, progress=False
    )
    for key, models in result.restart_models.items():  # the same models, computed afresh
        for m, m2 in zip(models, again.restart_models[key], strict=True):
            np.testing.assert_array_equal(m.components_, m2.components_)


def test_a_chain_on_a_sample_ends_in_a_fit_of_every_palette(fresh, monkeypatch):
    """When the corpus is larger than the exploratory sample the chain runs on the sample and the fit of K on
    every palette starts from its step: the returned counts are those of all palettes, not of the sample."""
    monkeypatch.setattr(gibbs, "EXPLORE_TOKENS", (2_000, 10))
    X = _doc_term(600).counts
    chain = gibbs._chain(X, 4, 5, gibbs.check_options({}))
    assert chain.sample.shape[0] < X.shape[0] and not chain.whole
    components, _, n_iter, loglik = gibbs.fit(X, 4, 5)
    assert gibbs.EXPLORE_COUNT[0] == 1 and n_iter >= gibbs.DEFAULTS["min_iter"]
    model = topics.ColorTopics(n_topics=4, random_state=5)
    planted = topics.planted_palettes(600, 4, random_state=3)
    assert topics.recovery(planted.topics, planted.colors, model.fit(planted.palettes)) > 0.95
    assert loglik < chain.step(4).log_likelihood  # more palettes, more words: a lower log p(w, z)


@pytest.mark.parametrize("prior", [False, True])
def test_log_likelihood_without_reading_documents_back_is_the_collapsed_one(prior):
    """The final fit's log p(w, z) from tomotopy's own sum, corrected for its word priors and for the columns it
    never saw, equals the one computed from every document's counts (tomotopy sums in single precision)."""
    X = _doc_term().counts
    X = sp.hstack([X[:, ::-1], sp.csr_matrix((X.shape[0], 3))]).tocsr()  # columns reordered, three never used
    start = np.random.default_rng(0).random((4, X.shape[1])) * 50 if prior else None
    p = None if start is None else gibbs.seed_prior(start, 0.01)
    model = gibbs._model(X, 4, 0.5, 0.01, 7, p)
    model.train(20, workers=1)
    ndk, nkw = gibbs._state(model, X.shape[1])
    exact = gibbs.collapsed_log_likelihood(ndk, nkw, 0.5, 0.01)
    read = gibbs._log_likelihood(model, gibbs._topic_words(model, X.shape[1], 0.01), p, 0.5, 0.01)
    assert read == pytest.approx(exact, rel=2e-5)
    if prior:  # tomotopy's own sum counts the word priors: the correction matters
        assert read != pytest.approx(model.ll_per_word * model.num_words, rel=1e-4)


@pytest.mark.parametrize(("n_palettes", "n_topics"), [(3000, 11), (6000, 17)])
@pytest.mark.slow
def test_the_chain_recovers_as_a_fit_that_explores_on_its_own(fresh, monkeypatch, n_palettes, n_topics):
    """K from its block's chain (head 19: down from 57 exploratory topics) against K explored at exactly 3K
    (`CHAIN_BLOCK` = 1: every K heads its own chain). Before the chain, exactly 3K recovered 0.977, 0.956, 0.949 at
    6,000 palettes and K = 17 for seeds 0-2."""
    planted = topics.planted_palettes(n_palettes, n_topics, random_state=1, overlap=0.3)
    chained = [topics.ColorTopics(n_topics=n_topics, random_state=s).fit(planted.palettes) for s in range(2)]
    monkeypatch.setattr(gibbs, "CHAIN_BLOCK", 1)
    own = [topics.ColorTopics(n_topics=n_topics, random_state=s).fit(planted.palettes) for s in range(2)]
    rec_chained = [topics.recovery(planted.topics, planted.colors, m) for m in chained]
    rec_own = [topics.recovery(planted.topics, planted.colors, m) for m in own]
    assert min(rec_chained) >= 0.97, rec_chained
    assert min(rec_chained) >= min(rec_own) - 0.01, (rec_chained, rec_own)


def test_topic_words_read_per_topic_are_the_samplers_counts():
    X = _doc_term().counts
    model = gibbs._model(X, 5, 0.5, 0.01, 7, None)
    model.train(10, workers=1)
    np.testing.assert_array_equal(gibbs._topic_words(model, X.shape[1], 0.01), gibbs._state(model, X.shape[1])[1])


def test_a_sweeps_chain_saves_each_fit_as_it_finishes(fresh, tmp_path, monkeypatch):
    """A chain returns its fits together; each is cached as it finishes, so a crash at n = 3 keeps n = 5 and 4."""
    palettes = topics.planted_palettes(400, 4, random_state=3).palettes
    real = topics.ColorTopics.fit_doc_term

    def dies_at_three(self, doc_term):
        if self.n_topics == 3:
            raise RuntimeError("killed at n = 3")
        return real(self, doc_term)

    monkeypatch.setattr(topics.ColorTopics, "fit_doc_term", dies_at_three)
    with pytest.raises(RuntimeError, match="n = 3"):
        topics.sweep(palettes, bits=(9,), n_topics=[3, 4, 5], n_restarts=1, random_state=1, n_jobs=1,
                     progress=False, cache_dir=tmp_path)  # fmt: skip
    assert sorted(p.name.split("-")[1] for p in tmp_path.glob("*.json")) == ["k4", "k5"]
    monkeypatch.setattr(topics.ColorTopics, "fit_doc_term", real)
    again = topics.sweep(palettes, bits=(9,), n_topics=[3, 4, 5], n_restarts=1, random_state=1, n_jobs=1,
                         progress=False, cache_dir=tmp_path)  # fmt: skip
    assert again.table.set_index("n_topics")["cached"].to_dict() == {3: False, 4: True, 5: True}


def test_the_progress_bar_moves_with_each_fit_not_each_chain(fresh, monkeypatch):
    """The bar is told of every fit as it finishes, before its chain (all a restart's fits) returns."""
    from bcanalysis.topics import selection

    events: list[str] = []

    class Bar:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n: int = 1) -> None:
            events.append("fit")

    real_chain = selection._run_chain

    def chain(*args):
        result = real_chain(*args)
        events.append("chain returned")
        return result

    monkeypatch.setattr("tqdm.auto.tqdm", Bar)
    monkeypatch.setattr(selection, "_run_chain", chain)
    palettes = topics.planted_palettes(400, 4, random_state=3).palettes
    topics.sweep(palettes, bits=(9,), n_topics=[3, 4, 5], n_restarts=1, random_state=1, n_jobs=1, progress=True)
    assert events.count("fit") == 3 and events.count("chain returned") == 1
    assert events.index("chain returned") >= 2  # the first fits were counted while the chain went on
