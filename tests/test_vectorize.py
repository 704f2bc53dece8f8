"""Palettes → document-term matrices, checked against scikit-learn's own CountVectorizer on the documents the
analysis wrote (`palette_to_document`), for palette lists and for the arrays a corpus hands out."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from bcanalysis.quantize import palette_to_document
from bcanalysis.store import PaletteArrays
from bcanalysis.topics import planted_palettes

vectorize_module = importlib.import_module("bcanalysis.topics.vectorize")  # the package exports the function


def _arrays(palettes: list[np.ndarray]) -> PaletteArrays:
    lengths = [len(p) for p in palettes]
    stacked = np.concatenate(palettes)
    return PaletteArrays(
        np.arange(1, len(palettes) + 1),
        np.concatenate([[0], np.cumsum(lengths)]),
        stacked[:, :3].astype(np.uint8),
        stacked[:, 3],
    )


@pytest.fixture(scope="module")
def palettes() -> list[np.ndarray]:
    rng = np.random.default_rng(8)
    planted = planted_palettes(400, 6, random_state=2, overlap=0.3).palettes
    odd = [np.column_stack([rng.integers(0, 256, (k, 3)), rng.dirichlet(np.ones(k))]) for k in (1, 3, 17)]
    return planted + odd


@pytest.mark.parametrize("bits", [3, 9, 12, 15, 24])
def test_counts_equal_count_vectorizer_on_the_documents(palettes, bits):
    documents = [palette_to_document(p, bits) for p in palettes]
    reference = CountVectorizer(token_pattern=r"[0-9a-f]{6}", lowercase=False)
    expected = reference.fit_transform(documents)
    for given in (palettes, _arrays(palettes)):
        dt = vectorize_module.vectorize(given, bits)
        vocabulary = dt.vocabulary  # a property that builds the list: read it once
        assert vocabulary == list(reference.get_feature_names_out())
        assert (dt.counts != expected).nnz == 0
        first_word_order = list(dict.fromkeys(w for d in documents for w in d.split()))
        assert [vocabulary[i] for i in np.argsort(dt.first_seen)] == first_word_order


def test_a_fixed_vocabulary_drops_unknown_words_as_count_vectorizer_does(palettes):
    documents = [palette_to_document(p, 12) for p in palettes]
    full = vectorize_module.vectorize(palettes, 12)
    some = full.colors[::4]
    reference = CountVectorizer(
        token_pattern=r"[0-9a-f]{6}",
        lowercase=False,
        vocabulary=[full.vocabulary[i] for i in range(0, len(full.vocabulary), 4)],
    )
    for given in (palettes, _arrays(palettes)):
        dt = vectorize_module.vectorize(given, 12, colors=some)
        assert (dt.counts != reference.transform(documents)).nnz == 0


def test_area_pseudocounts_are_each_palettes_own(palettes):
    dt = vectorize_module.vectorize(_arrays(palettes), 9)
    vocabulary = dt.vocabulary
    for i in (0, 57, len(palettes) - 1):  # one palette at a time, the plain formula
        p = palettes[i][:, 3]
        expected = np.maximum(1, np.round(p / p.sum() * len(p)))
        words = palette_to_document(palettes[i], 9).split()
        row = dict.fromkeys(words, 0)
        for w, c in zip(words, expected, strict=True):
            row[w] += c
        got = {vocabulary[j]: v for j, v in zip(dt.pseudo[i].indices, dt.pseudo[i].data, strict=True)}
        assert got == row


def test_only_keeps_the_matrix_a_weighting_reads(palettes):
    dt = vectorize_module.vectorize(_arrays(palettes), 12)
    lean = dt.only("count")
    assert lean.pseudo is None and lean.counts is dt.counts
    assert vectorize_module.weighted(lean, "tfidf") is dt.counts
    assert dt.only("proportion").pseudo is dt.pseudo
    with pytest.raises(ValueError, match="proportion"):
        vectorize_module.weighted(lean, "proportion")  # it is gone: a proportion fit cannot silently get counts
