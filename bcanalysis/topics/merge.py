"""Merging exploratory topics into K groups by the collapsed likelihood: greedy agglomeration, then local search.

A topic (or a group of them) is its word counts and its per-palette counts. With the number of topics fixed, LDA's
collapsed log-likelihood log p(words, assignments | α, η) is a constant plus one term per topic,

    f(topic) = Σ_w [lnΓ(n_w + η) − lnΓ(η)] − lnΓ(n + Vη) + lnΓ(Vη) + Σ_d [lnΓ(n_d + α) − lnΓ(α)],

zero for an empty topic, so every move below is scored exactly from the few topics it touches, and only over the
words and palettes those topics use.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.special import gammaln

#: Split a group by trying every bipartition up to this many members (2**(n-1) - 1 of them), else one member off.
EXHAUSTIVE_SPLIT = 10


class _Part:
    """A topic or group as sparse word and palette counts (support indices and values) and its token total."""

    __slots__ = ("w_idx", "w", "d_idx", "d", "n")

    def __init__(self, words: np.ndarray, docs: np.ndarray):
        self.w_idx = np.flatnonzero(words)
        self.w = words[self.w_idx]
        self.d_idx = np.flatnonzero(docs)
        self.d = docs[self.d_idx]
        self.n = float(self.w.sum())

    def scaled(self, sign: float) -> tuple:
        return self.w_idx, sign * self.w, self.d_idx, sign * self.d, sign * self.n


def _own(words: np.ndarray, docs: np.ndarray, n: np.ndarray, V: int, alpha: float, eta: float) -> np.ndarray:
    """f of topics given as rows of (restricted) word and palette counts with their full totals `n`."""
    return (
        (gammaln(words + eta) - gammaln(eta)).sum(axis=-1)
        + (gammaln(docs + alpha) - gammaln(alpha)).sum(axis=-1)
        - gammaln(n + V * eta)
        + gammaln(V * eta)
    )


def _gain_add(
    W: np.ndarray, D: np.ndarray, n: np.ndarray, rows: np.ndarray, u: tuple, alpha: float, eta: float
) -> np.ndarray:
    """f(G + u) − f(G) for the groups G in `rows` (u from `_Part.scaled`; a negative u removes it)."""
    w_idx, w, d_idx, d, m = u
    Wc, Dc = W[np.ix_(rows, w_idx)], D[np.ix_(rows, d_idx)]
    V = W.shape[1]
    return (
        (gammaln(Wc + w + eta) - gammaln(Wc + eta)).sum(axis=1)
        + (gammaln(Dc + d + alpha) - gammaln(Dc + alpha)).sum(axis=1)
        - gammaln(n[rows] + m + V * eta)
        + gammaln(n[rows] + V * eta)
    )


def merge_topics(ndk: np.ndarray, nkw: np.ndarray, n_topics: int, alpha: float, eta: float) -> np.ndarray:
    """Greedy agglomeration: merge the pair that raises the collapsed likelihood most (α, η of the K-topic model)
    until `n_topics` groups remain; returns each topic's group (0..n_topics-1)."""
    group = np.arange(len(nkw))
    for i, j in merge_path(ndk, nkw, n_topics, alpha, eta):
        group[group == j] = i
    return np.unique(group, return_inverse=True)[1]


def merge_path(ndk: np.ndarray, nkw: np.ndarray, n_topics: int, alpha: float, eta: float) -> list[tuple[int, int]]:
    """The greedy merges (i, j: group j joins group i) from the topics down to `n_topics` groups."""
    W, D = nkw.astype(np.float64), ndk.T.astype(np.float64)
    n, V, k = W.sum(axis=1), W.shape[1], len(W)
    group, alive = np.arange(k), np.ones(k, dtype=bool)
    own = _own(W, D, n, V, alpha, eta)
    gain = np.full((k, k), -np.inf)

    def pair_gains(i: int, js: np.ndarray) -> np.ndarray:  # f(i ∪ j) − f(i) − f(j) = [f(j + i) − f(j)] − f(i)
        return _gain_add(W, D, n, js, _Part(W[i], D[i]).scaled(1.0), alpha, eta) - own[i]

    for i in range(k - 1):
        gain[i, i + 1 :] = pair_gains(i, np.arange(i + 1, k))
    path = []
    for _ in range(k - n_topics):
        i, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
        path.append((int(i), int(j)))
        W[i] += W[j]
        D[i] += D[j]
        n[i] += n[j]
        alive[j] = False
        group[group == j] = i
        own[i] = _own(W[i], D[i], n[i], V, alpha, eta)
        gain[j, :] = gain[:, j] = -np.inf
        others = np.flatnonzero(alive & (np.arange(k) != i))
        gain[np.minimum(i, others), np.maximum(i, others)] = pair_gains(i, others)
    return path


def refine_groups(
    group: np.ndarray, ndk: np.ndarray, nkw: np.ndarray, alpha: float, eta: float, max_moves: int | None = None
) -> np.ndarray:
    """Local search on the grouping, each step the move that raises the collapsed likelihood most (> 1 nat).

    Moves: one topic to another group; or free a group (merge it into another, or send its members one by one to
    their best groups) and split a third group in two. The second undoes what greedy merging leaves behind: two true
    topics in one group while one true topic, or some noise, holds a group of its own.
    """
    Ws, Ds = nkw.astype(np.float64), ndk.T.astype(np.float64)
    parts = [_Part(Ws[s], Ds[s]) for s in range(len(Ws))]
    V, k, group = Ws.shape[1], int(group.max()) + 1, group.copy()
    split_memo: dict[bytes, tuple[np.ndarray | None, float]] = {}
    for _ in range(max_moves or 4 * len(group)):
        W = np.stack([Ws[group == g].sum(axis=0) for g in range(k)])
        D = np.stack([Ds[group == g].sum(axis=0) for g in range(k)])
        n = W.sum(axis=1)
        F = _own(W, D, n, V, alpha, eta)
        best, new = 1.0, None
        every = np.arange(k)
        for s, part in enumerate(parts):  # one topic to another group
            a = group[s]
            if (group == a).sum() < 2:
                continue
            gain = _gain_add(W, D, n, every, part.scaled(1.0), alpha, eta)
            gain += _gain_add(W, D, n, np.array([a]), part.scaled(-1.0), alpha, eta)[0]
            gain[a] = -np.inf
            if gain.max() > best:
                best, new = float(gain.max()), group.copy()
                new[s] = int(gain.argmax())
        splits = []
        for z in range(k):  # a group's best split depends on its members only: kept across moves
            members = np.flatnonzero(group == z)
            key = members.tobytes()
            if key not in split_memo:
                split_memo[key] = _best_split(members, Ws, Ds, V, alpha, eta)
            splits.append(split_memo[key])
        for x in range(k):  # free group x, then split another group z into x's place
            for freed, changed, gain in _free_group(x, group, W, D, n, F, parts, alpha, eta):
                for z in range(k):  # groups that took members are left out (single moves cover those)
                    if z == x or z in changed:
                        continue
                    off, split = splits[z]
                    if off is not None and gain + split > best:
                        best, new = gain + split, freed.copy()
                        new[off] = x
        if new is None:
            break
        group = new
    return group


def _free_group(
    x: int,
    group: np.ndarray,
    W: np.ndarray,
    D: np.ndarray,
    n: np.ndarray,
    F: np.ndarray,
    parts: list[_Part],
    alpha: float,
    eta: float,
) -> Iterator[tuple[np.ndarray, set[int], float]]:
    """Ways to empty group x, each as (new grouping, groups that changed, likelihood gain): merged whole into its
    best partner, and dissolved member by member into their best groups."""
    others = np.flatnonzero(np.arange(len(W)) != x)
    whole = _Part(W[x], D[x])
    merged = _gain_add(W, D, n, others, whole.scaled(1.0), alpha, eta) - F[x]
    y = int(others[np.argmax(merged)])
    into = group.copy()
    into[group == x] = y
    yield into, {y}, float(merged.max())
    members = np.flatnonzero(group == x)
    if len(members) < 2:
        return
    spread, W2, D2, n2, gain = group.copy(), W.copy(), D.copy(), n.copy(), 0.0
    for s in members:
        gain += _gain_add(W2, D2, n2, np.array([x]), parts[s].scaled(-1.0), alpha, eta)[0]
        _add(W2, D2, n2, x, parts[s], -1.0)
        to = _gain_add(W2, D2, n2, others, parts[s].scaled(1.0), alpha, eta)
        b = int(others[np.argmax(to)])
        gain += float(to.max())
        _add(W2, D2, n2, b, parts[s], 1.0)
        spread[s] = b
    yield spread, set(spread[members].tolist()), gain


def _add(W: np.ndarray, D: np.ndarray, n: np.ndarray, row: int, part: _Part, sign: float) -> None:
    W[row, part.w_idx] += sign * part.w
    D[row, part.d_idx] += sign * part.d
    n[row] += sign * part.n


def _best_split(
    members: np.ndarray, Ws: np.ndarray, Ds: np.ndarray, V: int, alpha: float, eta: float
) -> tuple[np.ndarray | None, float]:
    """The bipartition of a group that raises the likelihood most: (members split off, gain), or (None, -inf)."""
    m = len(members)
    if m < 2:
        return None, -np.inf
    if m <= EXHAUSTIVE_SPLIT:  # every bipartition; the first member stays
        masks = ((np.arange(1, 2 ** (m - 1))[:, None] >> np.arange(m - 1)) & 1).astype(bool)
        masks = np.column_stack([np.zeros(len(masks), dtype=bool), masks])
    else:
        masks = np.eye(m, dtype=bool)
    W, D = Ws[members], Ds[members]
    total_w, total_d = W.sum(axis=0), D.sum(axis=0)
    w_idx, d_idx = np.flatnonzero(total_w), np.flatnonzero(total_d)
    W, D, total_w, total_d = W[:, w_idx], D[:, d_idx], total_w[w_idx], total_d[d_idx]
    sizes = W.sum(axis=1)
    off_w, off_d, off_n = masks @ W, masks @ D, masks @ sizes
    whole = _own(total_w, total_d, sizes.sum(), V, alpha, eta)
    gain = (
        _own(off_w, off_d, off_n, V, alpha, eta)
        + _own(total_w - off_w, total_d - off_d, sizes.sum() - off_n, V, alpha, eta)
        - whole
    )
    i = int(np.argmax(gain))
    return members[masks[i]], float(gain[i])
