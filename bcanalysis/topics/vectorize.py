"""Palettes → sparse document-term matrices over quantised colours (the colour "words").

Columns are the quantised colours present in the corpus, in 24-bit code order, which is also the alphabetical
order of their hex words, so the columns match scikit-learn's `CountVectorizer` on `palette_to_document` text.
Nothing here is ever dense in documents × vocabulary.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from bcanalysis.colorspace import pack_rgb, unpack_rgb
from bcanalysis.palette import colors_and_proportions
from bcanalysis.quantize import check_bits, check_space, quantize, to_words
from bcanalysis.store.palettes import PaletteArrays

#: Counts are int32 (a palette holds at most a few hundred colours): half the memory of int64 for a large corpus.
COUNT_DTYPE = np.int32
HASH_CHUNK = 1 << 22  # values hashed at a time by `fingerprint` (a bounded temporary copy)

#: Document weightings `ColorTopics` understands.
WEIGHTINGS = ("count", "proportion", "tfidf")


@dataclasses.dataclass(frozen=True)
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

    def only(self, weighting: str) -> DocTerm:
        """The same without the matrix `weighting` does not read (area pseudo-counts unless 'proportion'):
        a large corpus's fits need half the memory."""
        if weighting == "proportion" or self.pseudo is None:
            return self
        return dataclasses.replace(self, pseudo=None)

    def fingerprint(self) -> str:
        """A short hash of the matrices and colours: equal data ⇒ equal fingerprint (used as a cache key)."""
        h = hashlib.sha256()
        for m in (self.counts, self.pseudo):
            if m is not None:
                h.update(np.ascontiguousarray(m.indptr).tobytes())
                h.update(np.ascontiguousarray(m.indices).tobytes())
                for lo in range(0, len(m.data), HASH_CHUNK):  # hashed as int64, as the counts once were stored:
                    h.update(m.data[lo : lo + HASH_CHUNK].astype(np.int64).tobytes())  # caches stay valid
            h.update(b"|")
        h.update(self.colors.tobytes())
        h.update(str(self.bits).encode())
        if self.space != "rgb":  # RGB fingerprints stay as they were, so existing caches stay valid
            h.update(self.space.encode())
        return h.hexdigest()[:20]


def _flatten(palettes: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """All palettes' colours stacked, where each palette starts (offsets, N + 1), and each colour's pseudo-count
    (None unless every colour has a finite proportion)."""
    if isinstance(palettes, PaletteArrays):
        if len(palettes) == 0:
            raise ValueError("got an empty corpus (0 palettes); topics need at least one palette")
        if (palettes.lengths == 0).any():
            raise ValueError(f"palette {int(np.flatnonzero(palettes.lengths == 0)[0])} is empty (0 colours)")
        return palettes.rgb, palettes.offsets, _pseudocounts(palettes.proportions, palettes.offsets)
    if isinstance(palettes, (str, bytes)) or not hasattr(palettes, "__len__"):
        palettes = list(palettes)
    if len(palettes) == 0:
        raise ValueError("got an empty corpus (0 palettes); topics need at least one palette")
    rgbs, props, lengths = [], [], []
    for i, pal in enumerate(palettes):
        if pal is None:
            raise ValueError(f"palette {i} is None; drop albums without a palette first")
        rgb, p = colors_and_proportions(pal)
        if len(rgb) == 0:
            raise ValueError(f"palette {i} is empty (0 colours)")
        rgbs.append(rgb)
        lengths.append(len(rgb))
        props.append(np.full(len(rgb), np.nan) if p is None else np.asarray(p, dtype=np.float64))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return np.concatenate(rgbs), offsets, _pseudocounts(np.concatenate(props), offsets)


def _pseudocounts(p: np.ndarray, offsets: np.ndarray) -> np.ndarray | None:
    """Area as integer pseudo-counts, every palette at once: max(1, round(p × palette length)) with p the colour's
    share of its palette (None unless every colour has a finite proportion)."""
    if not np.isfinite(p).all():
        return None
    if (p < 0).any():
        raise ValueError(f"colour proportions must be >= 0, got {p[p < 0][0]}")
    lengths = np.diff(offsets)
    totals = np.maximum(np.add.reduceat(p, offsets[:-1]), 1e-12)
    scaled = np.repeat(lengths / totals, lengths)  # one float array at a time: a million palettes stay in bounds
    scaled *= p
    np.round(scaled, out=scaled)
    return np.maximum(scaled, 1, out=scaled).astype(np.int64)


def proportion_pseudocounts(proportions: np.ndarray) -> np.ndarray:
    """One palette's area pseudo-counts (`_pseudocounts`), so an average-sized colour counts once."""
    p = np.asarray(proportions, dtype=np.float64)
    return _pseudocounts(p, np.array([0, len(p)]))


def vectorize(palettes: Sequence[Any], bits: int, colors: np.ndarray | None = None, space: str = "rgb") -> DocTerm:
    """Quantise every palette to `bits` (binned in `space`) and count colour words; `colors` fixes the vocabulary
    (unknown words drop). Linear in the number of colours, with a few bytes a colour beyond the result: words are
    found through a table over all 2^24 colour codes, not by sorting."""
    bits, space = check_bits(bits), check_space(space)
    rgb, offsets, pseudo = _flatten(palettes)
    codes = pack_rgb(quantize(rgb, bits, space), np.int32)
    if colors is None:
        seen = np.zeros(1 << 24, dtype=bool)
        seen[codes] = True
        vocab = np.flatnonzero(seen)
    else:
        vocab = pack_rgb(np.asarray(colors))
    lookup = np.full(1 << 24, -1, dtype=np.int32)
    lookup[vocab] = np.arange(len(vocab), dtype=np.int32)
    col = lookup[codes]
    del codes, lookup
    first_seen = None
    if colors is None:  # each word's first place in the corpus (what tf-idf's column order follows)
        first_seen = np.full(len(vocab), len(col), dtype=np.int64)
        np.minimum.at(first_seen, col, np.arange(len(col), dtype=np.int64))
    keep = None if colors is None else col >= 0
    shape = (len(offsets) - 1, len(vocab))
    counts = _csr(offsets, col, np.ones(len(col), COUNT_DTYPE), keep, shape)
    pmat = None if pseudo is None else _csr(offsets, col, pseudo, keep, shape)
    return DocTerm(counts, pmat, unpack_rgb(vocab), bits, first_seen, space)


def _csr(
    offsets: np.ndarray, cols: np.ndarray, vals: np.ndarray, keep: np.ndarray | None, shape: tuple[int, int]
) -> sp.csr_matrix:
    """Rows are the palettes (`offsets`), so the matrix is built as CSR directly; words a palette repeats are
    summed and each row's columns sorted (SciPy's canonical form)."""
    if keep is not None:
        kept = np.add.reduceat(keep, offsets[:-1], dtype=np.int64) if len(keep) else np.zeros(shape[0], np.int64)
        offsets = np.concatenate([[0], np.cumsum(kept)])
        cols, vals = cols[keep], vals[keep]
    else:
        cols = cols.copy()  # SciPy sorts a matrix's indices in place: the next matrix needs them as they came
    m = sp.csr_matrix((vals, cols, offsets), shape=shape, dtype=COUNT_DTYPE)
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
