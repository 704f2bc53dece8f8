"""Model-selection and ground-truth metrics for colour topics.

- coherence: NPMI (Röder et al. 2015) and UMass (Mimno et al. 2011) of each topic's top colours, from how often
  those colours share a palette;
- diversity: share of unique colours among all topics' top 25 (Dieng, Ruiz & Blei 2020);
- matched similarity: mean cosine between two sets of topics after optimal one-to-one matching (Hungarian,
  `scipy.optimize.linear_sum_assignment`): "recovery" against planted truth, "stability" between two seeds.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment

from bcanalysis.colorspace import pack_rgb


def top_words(components: np.ndarray, n: int) -> np.ndarray:
    """K × n column indices of each topic's heaviest words, heaviest first."""
    n = min(n, components.shape[1])
    return np.argsort(-components, axis=1, kind="stable")[:, :n]


def word_presence(counts: sp.spmatrix) -> sp.csc_matrix:
    """Which colours occur in which palettes (0/1), by column for fast word slices: what both coherences read, built
    once per corpus by a caller that measures many models (`presence=`)."""
    return (sp.csc_matrix(counts) > 0).astype(np.float64)


def _cooccurrence(presence: sp.csc_matrix, words: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Document frequency of `words` and of every pair of them (dense only in the few words asked for)."""
    B = presence[:, words]
    both = (B.T @ B).toarray()
    return np.diag(both).copy(), both, presence.shape[0]


def coherence_npmi(
    components: np.ndarray, counts: sp.spmatrix, n: int = 10, *, presence: sp.csc_matrix | None = None
) -> np.ndarray:
    """Mean NPMI over pairs of each topic's top-`n` colours (−1 never together … 1 always together), per topic.
    `presence`: `word_presence(counts)` if the caller has it already."""
    out = np.empty(components.shape[0])
    eps = 1e-12
    present = word_presence(counts) if presence is None else presence
    for k, words in enumerate(top_words(components, n)):
        df, both, n_docs = _cooccurrence(present, words)
        i, j = np.triu_indices(len(words), 1)
        if len(i) == 0:
            out[k] = np.nan
            continue
        pij, pi, pj = both[i, j] / n_docs, df[i] / n_docs, df[j] / n_docs
        with np.errstate(divide="ignore", invalid="ignore"):
            npmi = np.log((pij + eps) / (pi * pj)) / -np.log(pij + eps)
        out[k] = np.mean(np.where(pij > 0, npmi, -1.0))
    return out


def coherence_umass(
    components: np.ndarray, counts: sp.spmatrix, n: int = 10, *, presence: sp.csc_matrix | None = None
) -> np.ndarray:
    """UMass coherence per topic: mean log((D(wi, wj) + 1) / D(wj)) over top-`n` pairs (nearer 0 is better).
    `presence`: `word_presence(counts)` if the caller has it already."""
    out = np.empty(components.shape[0])
    present = word_presence(counts) if presence is None else presence
    for k, words in enumerate(top_words(components, n)):
        df, both, _ = _cooccurrence(present, words)
        i, j = np.tril_indices(len(words), -1)  # wi ranked below wj: condition on the more probable word
        out[k] = np.mean(np.log((both[i, j] + 1) / np.maximum(df[j], 1))) if len(i) else np.nan
    return out


def topic_diversity(components: np.ndarray, n: int = 25) -> float:
    """Share of unique words among all topics' top-`n` words: 1 = no two topics share a top colour."""
    words = top_words(components, n)
    return len(np.unique(words)) / words.size


def match_topics(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Optimal one-to-one matching of topics `a` to `b` by cosine: (rows of a, matched rows of b, cosines)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"topics over different vocabularies: {a.shape[1]} vs {b.shape[1]} columns")
    sim = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return rows, cols, sim[rows, cols]


def matched_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Mean cosine of optimally matched topic pairs; unmatched topics (K differs) count as 0."""
    _, _, cos = match_topics(a, b)
    return float(cos.sum() / max(len(a), len(b)))


def align_to_colors(components: np.ndarray, colors: np.ndarray, target_colors: np.ndarray) -> np.ndarray:
    """Re-index topics over `colors` onto the columns `target_colors` (colours absent on one side get 0)."""
    codes = pack_rgb(colors)
    target = pack_rgb(target_colors)
    out = np.zeros((components.shape[0], len(target)))
    pos = {c: i for i, c in enumerate(target.tolist())}
    src = [i for i, c in enumerate(codes.tolist()) if c in pos]
    out[:, [pos[c] for c in codes[src].tolist()]] = components[:, src]
    return out


def recovery(true_topics: np.ndarray, true_colors: np.ndarray, model) -> float:
    """Mean cosine between planted topics (over `true_colors`) and a fitted model's, after one-to-one matching."""
    fitted = align_to_colors(model.components_, model.colors_, true_colors)
    return matched_similarity(true_topics, fitted)
