"""Palettes → sparse document-term matrices over quantised colours (the colour "words").

Columns are the quantised colours present in the corpus, in 24-bit code order, which is also the alphabetical
order of their hex words, so the columns match scikit-learn's `CountVectorizer` on `palette_to_document` text.
Nothing here is ever dense in documents × vocabulary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from bcanalysis.colorspace import pack_rgb, unpack_rgb
from bcanalysis.quantize import check_bits, check_space, palette_arrays, quantize, to_words

#: Document weightings `fit` understands.
WEIGHTINGS = ("count", "proportion", "tfidf")


@dataclass(frozen=True)
class DocTerm:
    """A corpus vectorised at one bit depth: word counts, area pseudo-counts (if known) and column colours."""

    counts: sp.csr_matrix
    pseudo: sp.csr_matrix | None
    colors: np.ndarray
    bits: int
    first_seen: np.ndarray | None = None  # corpus position of each word's first occurrence (for tf-idf order)
    space: str = "rgb"  # the colour space the colours were binned in (see quantize)

    @property
    def n_docs(self) -> int:
        return self.counts.shape[0]

    @property
    def vocabulary(self) -> list[str]:
        """The hex word of each column."""
        return to_words(self.colors)

    def rows(self, index: np.ndarray) -> DocTerm:
        """The same vocabulary restricted to some documents (e.g. a training split)."""
        pseudo = None if self.pseudo is None else self.pseudo[index]
        return DocTerm(self.counts[index], pseudo, self.colors, self.bits, self.first_seen, self.space)

    def fingerprint(self) -> str:
        """A short hash of the matrices and colours: equal data ⇒ equal fingerprint (used as a cache key)."""
        h = hashlib.sha256()
        for m in (self.counts, self.pseudo):
            if m is not None:
                for a in (m.indptr, m.indices, m.data):
                    h.update(np.ascontiguousarray(a).tobytes())
            h.update(b"|")
        h.update(self.colors.tobytes())
        h.update(str(self.bits).encode())
        if self.space != "rgb":  # RGB fingerprints stay as they were, so existing caches stay valid
            h.update(self.space.encode())
        return h.hexdigest()[:20]


def _flatten(palettes: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """All palettes' colours stacked, the document of each colour, and the pseudo-count of each (or None)."""
    if isinstance(palettes, (str, bytes)) or not hasattr(palettes, "__len__"):
        palettes = list(palettes)
    if len(palettes) == 0:
        raise ValueError("got an empty corpus (0 palettes); topics need at least one palette")
    rgbs, pseudo, lengths = [], [], []
    have_props = True
    for i, pal in enumerate(palettes):
        if pal is None:
            raise ValueError(f"palette {i} is None; drop albums without a palette first")
        rgb, props = palette_arrays(pal)
        if len(rgb) == 0:
            raise ValueError(f"palette {i} is empty (0 colours)")
        rgbs.append(rgb)
        lengths.append(len(rgb))
        if props is None or not np.isfinite(props).all():
            have_props = False
        elif have_props:
            pseudo.append(proportion_pseudocounts(props))
    doc = np.repeat(np.arange(len(rgbs)), lengths)
    return np.concatenate(rgbs), doc, (np.concatenate(pseudo) if have_props else None)


def proportion_pseudocounts(proportions: np.ndarray) -> np.ndarray:
    """Area as integer pseudo-counts: max(1, round(p × palette length)), so an average-sized colour counts once."""
    p = np.asarray(proportions, dtype=np.float64)
    if (p < 0).any():
        raise ValueError(f"colour proportions must be >= 0, got {p[p < 0][0]}")
    return np.maximum(1, np.round(p / max(p.sum(), 1e-12) * len(p))).astype(np.int64)


def vectorize(palettes: Sequence[Any], bits: int, colors: np.ndarray | None = None, space: str = "rgb") -> DocTerm:
    """Quantise every palette to `bits` (binned in `space`) and count colour words; `colors` fixes the vocabulary
    (unknown words drop)."""
    bits, space = check_bits(bits), check_space(space)
    rgb, doc, pseudo = _flatten(palettes)
    codes = pack_rgb(quantize(rgb, bits, space))
    first_seen = None
    if colors is None:
        vocab, first_seen = np.unique(codes, return_index=True)
        col = np.searchsorted(vocab, codes)
        keep = slice(None)
    else:
        vocab = pack_rgb(np.asarray(colors))
        col = np.minimum(np.searchsorted(vocab, codes), len(vocab) - 1)
        keep = vocab[col] == codes
    shape = (int(doc[-1]) + 1, len(vocab))
    counts = _csr(doc[keep], col[keep], np.ones(len(codes), np.int64)[keep], shape)
    pmat = None if pseudo is None else _csr(doc[keep], col[keep], pseudo[keep], shape)
    return DocTerm(counts, pmat, unpack_rgb(vocab), bits, first_seen, space)


def _csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    m = sp.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.int64)
    m.sum_duplicates()
    m.sort_indices()
    return m


def in_first_seen_order(X: sp.csr_matrix, first_seen: np.ndarray) -> sp.csr_matrix:
    """Float64 copy with each row's entries stored as TfidfVectorizer leaves them: by each word's first occurrence.

    Same matrix, different storage order: scikit-learn's LDA sums in storage order, so bit-identical
    reproduction of the analysis's pipeline needs it (float64 also avoids a re-sorting dtype conversion).
    """
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    order = np.lexsort((first_seen[X.indices], rows))
    return sp.csr_matrix((X.data[order].astype(np.float64), X.indices[order], X.indptr), shape=X.shape)


def weighted(doc_term: DocTerm, weighting: str) -> sp.csr_matrix:
    """The integer matrix a count model sees: word counts, or area pseudo-counts for 'proportion'."""
    if weighting == "proportion":
        if doc_term.pseudo is None:
            raise ValueError("weighting='proportion' needs colour proportions in every palette, e.g. (r, g, b, p)")
        return doc_term.pseudo
    if weighting in ("count", "tfidf"):
        return doc_term.counts
    raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
