"""bcanalysis.topics: exact reproduction of the analysis's pipeline, recovery of planted topics, files, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from bcanalysis import topics
from bcanalysis.quantize import document_to_palette, palette_to_document
from bcanalysis.topics.model import completion_perplexity


@pytest.fixture(scope="module")
def random_palettes() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (rng.integers(5, 41), 3)) for _ in range(300)]


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(1500, 5, random_state=7)


@pytest.fixture(scope="module")
def planted_model(planted) -> topics.ColorTopics:
    return topics.ColorTopics(n_topics=5, random_state=0).fit(planted.palettes)


# --- the analysis's pipeline, exactly ----------------------------------------------------------------------


@pytest.mark.parametrize("bits", [9, 12])
def test_tfidf_sklearn_is_the_analysis_pipeline_exactly(random_palettes, bits):
    docs = [palette_to_document(p, bits) for p in random_palettes]
    pipe = Pipeline([("tfidf", TfidfVectorizer()), ("lda", LatentDirichletAllocation(n_components=4, random_state=3))])
    pipe.fit(docs)
    model = topics.ColorTopics(bits=bits, n_topics=4, weighting="tfidf", engine="sklearn", random_state=3).fit(
        random_palettes
    )
    assert model.vocabulary_ == list(pipe[0].get_feature_names_out())
    order = model.meta_["engine_topics"]  # the pipeline's topics, numbered by share (topic 0 the largest)
    assert np.array_equal(model.state_["components_"], pipe[-1].components_[order])  # bit for bit
    ref = pipe[-1].components_[order]
    assert np.array_equal(model.components_, ref / ref.sum(axis=1, keepdims=True))
    # the same mixtures in the new column order (to rounding: the E-step sums over topics in another order)
    assert np.allclose(
        model.transform(random_palettes[:40]), pipe.transform(docs[:40])[:, order], rtol=1e-12, atol=1e-15
    )
    assert np.all(np.diff(pipe.transform(docs).mean(axis=0)[order]) <= 0)


def test_sklearn_model_survives_save_and_load(random_palettes, tmp_path):
    model = topics.ColorTopics(bits=9, n_topics=3, weighting="tfidf", engine="sklearn", random_state=1).fit(
        random_palettes
    )
    path = model.save(tmp_path / "m")
    again = topics.ColorTopics.load(path)
    assert np.array_equal(again.transform(random_palettes[:20]), model.transform(random_palettes[:20]))
    assert (again.bits, again.weighting, again.engine) == (9, "tfidf", "sklearn")


# --- the default engine ------------------------------------------------------------------------------------


def test_default_fit_recovers_planted_topics(planted, planted_model):
    assert (planted_model.engine, planted_model.weighting) == (topics.DEFAULT_ENGINE, topics.DEFAULT_WEIGHTING)
    assert topics.recovery(planted.topics, planted.colors, planted_model) >= 0.95


@pytest.mark.slow
def test_analysis_pipeline_recovers_less_than_default(planted, planted_model):
    ref = topics.ColorTopics(n_topics=5, weighting="tfidf", engine="sklearn", random_state=0).fit(planted.palettes)
    assert topics.recovery(planted.topics, planted.colors, ref) < topics.recovery(
        planted.topics, planted.colors, planted_model
    )


def test_fit_is_reproducible_with_a_seed(planted):
    a = topics.ColorTopics(n_topics=3, random_state=5).fit(planted.palettes[:400])
    b = topics.ColorTopics(n_topics=3, random_state=5).fit(planted.palettes[:400])
    assert np.array_equal(a.components_, b.components_)


def test_model_shapes_and_normalisation(planted, planted_model):
    m = planted_model
    assert m.components_.shape == (5, len(m.colors_))
    assert np.allclose(m.components_.sum(axis=1), 1)
    assert m.colors_.dtype == np.uint8 and m.colors_.shape[1] == 3
    theta = m.transform(planted.palettes[:50])
    assert theta.shape == (50, 5) and np.allclose(theta.sum(axis=1), 1) and (theta >= 0).all()
    # a palette's dominant planted topic is its dominant fitted topic, up to the matching of topics
    rows, cols, _ = topics.match_topics(
        planted.topics, topics.metrics.align_to_colors(m.components_, m.colors_, planted.colors)
    )
    to_fitted = dict(zip(rows, cols, strict=True))
    truth = np.array([to_fitted[k] for k in planted.mixtures[:50].argmax(axis=1)])
    assert (theta.argmax(axis=1) == truth).mean() > 0.9


def test_top_colors_orders(planted_model):
    m = planted_model
    by_weight = m.top_colors(0, 10)
    assert np.array_equal(by_weight, m.colors_[np.argsort(-m.components_[0], kind="stable")[:10]])
    hls = m.top_colors(0, 10, order="hls")
    assert sorted(map(tuple, hls)) == sorted(map(tuple, by_weight))
    from bcanalysis.colorspace import rgb_to_hls

    h = rgb_to_hls(hls)
    assert list(map(tuple, h)) == sorted(map(tuple, h))
    assert len(m.topic_label(0).split(" · ")) == 3


def test_model_save_load_roundtrip_without_pickle(planted, planted_model, tmp_path):
    path = planted_model.save(tmp_path / "sub" / "model.json")
    assert path.exists() and path.with_suffix(".npz").exists()
    with np.load(path.with_suffix(".npz"), allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
    again = topics.ColorTopics.load(tmp_path / "sub" / "model.npz")
    assert np.array_equal(again.components_, planted_model.components_)
    assert np.array_equal(again.colors_, planted_model.colors_)
    assert np.array_equal(again.transform(planted.palettes[:30]), planted_model.transform(planted.palettes[:30]))


def test_load_refuses_another_format_version(planted_model, tmp_path):
    path = planted_model.save(tmp_path / "m")
    meta = json.loads(path.read_text())
    meta["format_version"] = topics.FORMAT_VERSION + 1
    path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=f"format version {topics.FORMAT_VERSION + 1}"):
        topics.ColorTopics.load(path)


def test_perplexity_prefers_the_true_number_of_topics(planted, planted_model):
    one = topics.ColorTopics(n_topics=1, random_state=0).fit(planted.palettes)
    held = planted.palettes[-200:]
    assert planted_model.perplexity(held) < 0.8 * one.perplexity(held)
    assert planted_model.perplexity(held) == planted_model.perplexity(held)  # deterministic, input untouched


def test_single_topic_perplexity_is_the_smoothed_unigram(planted):
    model = topics.ColorTopics(n_topics=1, random_state=0).fit(planted.palettes[:300])
    counts = model.doc_term(planted.palettes[:300]).counts
    _, held = topics.model.split_tokens(counts, 0)
    p = model.components_[0][held.indices]
    expected = np.exp(-(held.data * np.log(p)).sum() / held.data.sum())
    assert completion_perplexity(model, counts, 0) == pytest.approx(expected, rel=1e-12)


@pytest.mark.slow
def test_restarts_keep_the_fit_with_the_highest_likelihood(planted):
    best = topics.ColorTopics(n_topics=5, random_state=2, n_restarts=3).fit(planted.palettes[:600])
    assert len(best.meta_["restarts"]) == 3
    dt = topics.vectorize(planted.palettes[:600], 12)
    lls = []
    for seed in best.meta_["restarts"]:
        m = topics.ColorTopics(12, 5, weighting="count", engine="tomotopy", random_state=seed).fit_doc_term(dt)
        lls.append(m.meta_["log_likelihood"])
    assert best.meta_["log_likelihood"] == pytest.approx(max(lls))
    assert best.meta_["restart_log_likelihoods"] == pytest.approx(lls)


@pytest.mark.slow
def test_proportion_weighting_uses_areas(planted):
    pal = planted.palettes[0]
    counts = topics.vectorize([pal], 24).pseudo.toarray().ravel()
    assert counts.sum() >= len(pal) and counts.max() == max(1, round(pal[:, 3].max() / pal[:, 3].sum() * len(pal)))
    model = topics.ColorTopics(n_topics=5, weighting="proportion", random_state=0).fit(planted.palettes)
    assert topics.recovery(planted.topics, planted.colors, model) > 0.8
    with pytest.raises(ValueError, match="proportions"):
        topics.ColorTopics(n_topics=2, weighting="proportion").fit([p[:, :3] for p in planted.palettes[:50]])


def test_vocabulary_matches_documents(random_palettes):
    dt = topics.vectorize(random_palettes, 12)
    words = sorted({w for p in random_palettes for w in palette_to_document(p, 12).split()})
    assert dt.vocabulary == words
    assert np.array_equal(dt.colors, document_to_palette(words))
    assert dt.counts.sum() == sum(len(p) for p in random_palettes)


def test_colorgram_like_colour_objects_are_accepted():
    from bcanalysis.palette import Color

    pals = [[Color(200, 100, 50, 0.7), Color(10, 20, 30, 0.3)], [Color(10, 20, 30, 1.0)]] * 5
    model = topics.ColorTopics(n_topics=2, random_state=0).fit(pals)
    assert model.vocabulary_ == ["111122", "cc6633"]  # (10, 20, 30) → (17, 17, 34) at 12 bit


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bits": 10}, "10"),
        ({"bits": 27}, "27"),
        ({"n_topics": 0}, "n_topics.*0"),
        ({"n_topics": 10_000}, "n_topics=10000"),
        ({"weighting": "bm25"}, "bm25"),
        ({"engine": "gensim"}, "gensim"),
        ({"weighting": "tfidf", "engine": "tomotopy"}, "tfidf"),
        ({"n_restarts": 0}, "n_restarts.*0"),
    ],
)
def test_bad_arguments_name_the_value(random_palettes, kwargs, match):
    with pytest.raises(ValueError, match=match):
        topics.ColorTopics(**kwargs).fit(random_palettes[:20])


def test_empty_input_is_refused(random_palettes):
    with pytest.raises(ValueError, match="empty corpus"):
        topics.ColorTopics().fit([])
    with pytest.raises(ValueError, match="palette 1 is empty"):
        topics.ColorTopics(n_topics=2).fit([random_palettes[0], [], random_palettes[2]])
    with pytest.raises(ValueError, match="palette 0 is None"):
        topics.ColorTopics(n_topics=1).fit([None])
    with pytest.raises(ValueError, match="300"):
        topics.ColorTopics(n_topics=1).fit([[(300, 0, 0)]])


def test_perplexity_does_not_depend_on_chunking(planted, planted_model):
    counts = planted_model.doc_term(planted.palettes[:300]).counts
    whole = completion_perplexity(planted_model, counts, 0)
    assert completion_perplexity(planted_model, counts, 0, chunk=37) == pytest.approx(whole, rel=1e-12)
    theta = topics.model.fold_in(counts, planted_model.components_, 1.0)
    assert np.allclose(topics.model.fold_in(counts, planted_model.components_, 1.0, chunk=37), theta)
