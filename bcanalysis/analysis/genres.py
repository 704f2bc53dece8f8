"""Topics ↔ genres (and places): per-album topic weights from the albums DataFrame, genre × topic and place × topic
lift with a significance test, the links strong enough to report, and the albums that load most on a topic.

An album's genres and place are read by `bcanalysis.album_table` (`tag_column`, `places`), the one rule for both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import norm

from bcanalysis.album_table import album_palettes, places, tag_column, with_palette
from bcanalysis.checks import check_scalar
from bcanalysis.defaults import RANDOM_STATE
from bcanalysis.store.palettes import PaletteArrays

#: Random draws of the permutation test; p-values resolve down to 1 / (N_PERMUTATIONS + 1) = 0.0001.
N_PERMUTATIONS = 9_999
#: Groups with at least this many albums in them and out of them are tested by the normal approximation to the same
#: permutation distribution (the mean of so many draws is close to normal); smaller ones by the permutations.
NORMAL_FROM = 1_000

#: How `tag_topic_table` tests a tag's mean topic weight (stored in the table's `.attrs["method"]`).
TEST_METHOD = (
    "permutation test: a tag's mean topic weight against the means of {b:,} random draws of as many albums from all "
    "albums with a palette, two-sided, p = (1 + draws at least as far from the corpus mean) / {b1:,}, so no p below "
    "{floor:.2g}; groups with {large:,} albums or more (in and out of the group) use the normal approximation to the "
    "same permutation distribution (its exact mean and variance), floored there too; q = Benjamini-Hochberg over the "
    "whole table"
)


def topic_weights(model, albums: pd.DataFrame, palettes: PaletteArrays | None = None) -> pd.DataFrame:
    """Topic mixture of each album with a palette: rows indexed like `albums`, one column per topic (0..K-1).

    The palettes come from the `colorgram` column, or from `palettes` (`Corpus.palette_arrays()`, matched by
    album id) for a corpus too large to hold as lists: `albums` then needs no palette columns."""
    if palettes is None:
        index, palettes = album_palettes(albums)
    else:
        index, palettes = palettes.aligned(albums.index)
        index = pd.Index(index, name=albums.index.name)
    if not len(palettes):
        raise ValueError("no album in the DataFrame has a palette (colorgram is None or empty everywhere)")
    return pd.DataFrame(model.transform(palettes), index=index, columns=range(model.n_topics))


def _tag_incidence(tags: pd.Series, min_albums: int) -> tuple[list[str], sp.csr_matrix]:
    """Tags with at least `min_albums` albums and a tags × albums 0/1 matrix (each tag once per album)."""
    tags = tags.reset_index(drop=True)  # positions, so a duplicated DataFrame index cannot misalign rows
    exploded = tags.map(lambda t: sorted(set(t)) if isinstance(t, (list, tuple, set, np.ndarray)) else []).explode()
    exploded = exploded.dropna()
    counts = exploded.value_counts()
    names = sorted(counts[counts >= min_albums].index)
    if not names:
        return [], sp.csr_matrix((0, len(tags)))
    code = {t: i for i, t in enumerate(names)}
    hit = exploded[exploded.isin(code)]
    rows = hit.map(code).to_numpy()
    cols = hit.index.to_numpy()
    return names, sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(names), len(tags)))


def q_text(q: float, alpha: float = 0.05, *, at_floor: bool = False) -> str:
    """A q-value as a reader sees it, with its relation: "= 0.012"; more digits where two would read on the wrong
    side of `alpha` ("= 0.04996", not "= 0.05", under q < 0.05); "≤ 0.00036" when its p is at the test's floor (the
    true q may be smaller); "< 0.0001" below that; "n/a" for NaN."""
    if q is None or not np.isfinite(q):
        return "n/a"
    if q < 1e-4 and not at_floor:
        return "< 0.0001"
    digits = 2
    while digits < 8 and (float(f"{q:.{digits}g}") < alpha) != (q < alpha):
        digits += 1
    return f"{'≤' if at_floor else '='} {q:.{digits}g}"


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), NaN kept as NaN."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok])]
    m = len(order)
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q


def permutation_pvalues(
    theta: np.ndarray, inc: sp.csr_matrix, means: np.ndarray, n_permutations: int, random_state: int | None
) -> np.ndarray:
    """Two-sided Monte Carlo permutation p-values of each group's mean topic weights (groups × topics): the share of
    `n_permutations` random draws of as many albums whose mean is at least as far from the corpus mean, counting the
    observed one (p >= 1 / (n_permutations + 1)). Groups of one size share their draws; each draw is the prefix of a
    random ordering, so one draw serves every size (a size over half the corpus is drawn as its complement)."""
    n, K = theta.shape
    sizes = np.asarray(inc.sum(axis=1)).ravel().astype(np.int64)
    mu = theta.mean(axis=0)
    drawn = np.minimum(sizes, n - sizes)  # what is drawn: the group, or the albums outside it
    need = int(drawn.max(initial=0))
    hits = np.zeros((len(sizes), K))
    if need == 0:
        return np.full((len(sizes), K), np.nan)
    far = np.abs(means - mu) * (1 - 1e-9) - 1e-12  # float sums: a draw equal to the observed counts as far
    total = theta.sum(axis=0)
    rng = np.random.default_rng(random_state)
    chunk = max(1, min(n_permutations, 2_000_000 // max(need * K, 1)))
    for lo in range(0, n_permutations, chunk):
        c = min(chunk, n_permutations - lo)
        idx = np.stack([rng.choice(n, need, replace=False, shuffle=True) for _ in range(c)])
        sums = np.cumsum(theta[idx], axis=1)  # c × need × K: the sum of the first j+1 albums of each draw
        for m in np.unique(sizes[drawn > 0]):
            d = min(m, n - m)
            part = sums[:, d - 1, :]
            spread = np.abs((part if d == m else total - part) / m - mu)  # c × K: each draw's distance
            for g in np.flatnonzero(sizes == m):
                hits[g] += (spread >= far[g]).sum(axis=0)
    p = (1 + hits) / (n_permutations + 1)
    p[drawn == 0] = np.nan  # a group of every album (or none): nothing to test
    return p


def group_topic_table(
    model,
    albums: pd.DataFrame,
    groups: pd.Series,
    *,
    name: str = "tag",
    min_albums: int = 5,
    alpha: float = 0.05,
    palettes: PaletteArrays | None = None,
    n_permutations: int = N_PERMUTATIONS,
    random_state: int | None = RANDOM_STATE,
) -> pd.DataFrame:
    """Mean topic weight per group (each album in the groups listed for it in `groups`, aligned with `albums`), its
    lift over all albums, and a permutation test (`.attrs['method']`; `n_permutations` draws, seeded by
    `random_state`). The group column is called `name`; `palettes` as in `topic_weights`."""
    n_permutations = check_scalar(n_permutations, "n_permutations", int, low=1)
    theta_df = topic_weights(model, albums, palettes)
    theta = theta_df.to_numpy()
    names, inc = _tag_incidence(groups.loc[theta_df.index], min_albums)
    n, K = theta.shape
    m = np.asarray(inc.sum(axis=1)).ravel()
    means = (inc @ theta) / np.maximum(m, 1)[:, None]
    mu, var = theta.mean(axis=0), theta.var(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(var[None, :] / m[:, None] * (n - m[:, None]) / max(n - 1, 1))
        z = (means - mu[None, :]) / se
        lift = means / mu[None, :]
    floor = 1 / (n_permutations + 1)
    normal = np.minimum(m, n - m) >= NORMAL_FROM
    p = np.where(np.isfinite(z), np.maximum(2 * norm.sf(np.abs(z)), floor), np.nan)
    small = ~normal
    if small.any():
        p[small] = permutation_pvalues(theta, inc[np.flatnonzero(small)], means[small], n_permutations, random_state)
    labels = model.topic_labels()
    table = pd.DataFrame(
        {
            name: np.repeat(np.asarray(names, dtype=object), K),
            "topic": np.tile(np.arange(K), len(names)),
            "label": np.tile(labels, len(names)),
            "n_albums": np.repeat(m.astype(int), K),
            "mean_weight": means.ravel(),
            "corpus_weight": np.tile(mu, len(names)),
            "lift": lift.ravel(),
            "z": z.ravel(),
            "test": np.repeat(np.where(normal, "normal", "permutation"), K),
            "p_value": p.ravel(),
        }
    )
    table["q_value"] = benjamini_hochberg(table["p_value"].to_numpy())
    table["significant"] = table["q_value"] < alpha
    table.attrs["method"] = TEST_METHOD.format(b=n_permutations, b1=n_permutations + 1, floor=floor, large=NORMAL_FROM)
    table.attrs["group"], table.attrs["alpha"], table.attrs["p_floor"] = name, alpha, floor
    return table


def tag_topic_table(
    model,
    albums: pd.DataFrame,
    *,
    min_albums: int = 5,
    alpha: float = 0.05,
    palettes: PaletteArrays | None = None,
    n_permutations: int = N_PERMUTATIONS,
    random_state: int | None = RANDOM_STATE,
) -> pd.DataFrame:
    """Genre × topic: mean topic weight per genre tag (`tag_column`: never a place), its lift over all albums, and a
    significance test (`.attrs['method']`).

    One row per (tag, topic) for tags on at least `min_albums` albums with a palette (`palettes`: as in
    `topic_weights`). Ready for a heatmap:
    `table.pivot(index='tag', columns='topic', values='lift')` or `plots.tag_topic_heatmap(table)`.
    """
    return group_topic_table(
        model,
        albums,
        tag_column(albums),
        name="tag",
        min_albums=min_albums,
        alpha=alpha,
        palettes=palettes,
        n_permutations=n_permutations,
        random_state=random_state,
    )


def place_topic_table(
    model,
    albums: pd.DataFrame,
    *,
    min_albums: int = 5,
    alpha: float = 0.05,
    n_permutations: int = N_PERMUTATIONS,
    random_state: int | None = RANDOM_STATE,
) -> pd.DataFrame:
    """Place × topic, as `tag_topic_table` does for genres: which places wear which topics (`places`: the city of
    each album's `location`). Empty (no rows) when no place is known on `min_albums` albums."""
    where = places(albums)
    table = group_topic_table(
        model,
        albums,
        where.map(lambda p: [p] if p else []),
        name="place",
        min_albums=min_albums,
        alpha=alpha,
        n_permutations=n_permutations,
        random_state=random_state,
    )
    has = with_palette(albums)
    table.attrs["n_placed"] = int(where[has].notna().sum())  # albums with a palette and a known place
    table.attrs["min_albums"] = min_albums
    return table


def exemplars(model, albums: pd.DataFrame, k: int, n: int = 10, *, weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """The `n` albums that load most on topic `k` (their `albums` rows plus `weight`), heaviest first.

    `weights` (from `topic_weights(model, albums)`) saves transforming every palette again for each topic.
    """
    if not 0 <= k < model.n_topics:
        raise ValueError(f"topic must be in 0..{model.n_topics - 1}, got {k}")
    if weights is None:
        weights = topic_weights(model, albums)
    w = weights[k].to_numpy()
    top = np.argsort(-w, kind="stable")[:n]
    has = np.flatnonzero(with_palette(albums))  # the rows `weights` holds
    if len(has) != len(w):
        raise ValueError(
            f"weights has {len(w)} rows but {len(has)} albums have a palette: pass topic_weights(model, albums)"
        )
    return albums.iloc[has[top]].assign(weight=w[top])


def strong_links(table: pd.DataFrame) -> pd.DataFrame:
    """The links of a `tag_topic_table` or `place_topic_table` a report names: significant (q below the table's
    alpha) and above the corpus (lift > 1), highest lift first. THE rule: findings and notebooks both use it."""
    if table.empty:
        return table
    return table[table["significant"] & (table["lift"] > 1)].sort_values("lift", ascending=False, kind="stable")
