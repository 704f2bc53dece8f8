"""Topics ↔ genres: per-album topic weights from the albums DataFrame, tag × topic lift with a significance test,
and the albums that load most on a topic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import norm

#: How `tag_topic_table` tests a tag's mean topic weight (stored in the table's `.attrs["method"]`).
TEST_METHOD = (
    "permutation z-test: a tag's mean topic weight against the exact mean and variance of its permutation "
    "distribution (the mean of as many albums drawn without replacement from all albums with a palette), "
    "normal approximation, two-sided; q = Benjamini-Hochberg over the whole table"
)


def _has_palette(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and len(value) > 0


def tag_column(albums: pd.DataFrame) -> str:
    """Where an album's genre tags are: the discover tags it was found under if known, else its page tags."""
    return "found_under" if "found_under" in albums else "tags"


def album_palettes(albums: pd.DataFrame) -> tuple[pd.Index, list[np.ndarray]]:
    """The index of albums that have a palette and their palettes as (r, g, b[, proportion]) arrays, aligned."""
    if "colorgram" not in albums:
        raise ValueError("albums DataFrame needs a 'colorgram' column (list of (r, g, b) per album, or None)")
    keep = albums["colorgram"].map(_has_palette).to_numpy(dtype=bool)
    rows = albums.loc[keep]
    props = rows["proportions"] if "proportions" in rows else pd.Series(None, index=rows.index, dtype=object)
    palettes = []
    for colors, p in zip(rows["colorgram"], props, strict=True):
        rgb = np.asarray([tuple(c)[:3] for c in colors], dtype=np.float64)
        if _has_palette(p) and len(p) == len(rgb):
            rgb = np.column_stack([rgb, np.asarray(p, dtype=np.float64)])
        palettes.append(rgb)
    return rows.index, palettes


def topic_weights(model, albums: pd.DataFrame) -> pd.DataFrame:
    """Topic mixture of each album with a palette: rows indexed like `albums`, one column per topic (0..K-1)."""
    index, palettes = album_palettes(albums)
    if not palettes:
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


def tag_topic_table(model, albums: pd.DataFrame, *, min_albums: int = 5, alpha: float = 0.05) -> pd.DataFrame:
    """Mean topic weight per tag, its lift over all albums, and a significance test (`.attrs['method']`).

    One row per (tag, topic) for tags on at least `min_albums` albums with a palette. Ready for a heatmap:
    `table.pivot(index='tag', columns='topic', values='lift')` or `plots.tag_topic_heatmap(table)`.
    """
    theta_df = topic_weights(model, albums)
    theta = theta_df.to_numpy()
    has = albums["colorgram"].map(_has_palette).to_numpy(dtype=bool)
    names, inc = _tag_incidence(albums.loc[has, "tags"], min_albums)
    n, K = theta.shape
    m = np.asarray(inc.sum(axis=1)).ravel()
    means = (inc @ theta) / np.maximum(m, 1)[:, None]
    mu, var = theta.mean(axis=0), theta.var(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(var[None, :] / m[:, None] * (n - m[:, None]) / max(n - 1, 1))
        z = (means - mu[None, :]) / se
        lift = means / mu[None, :]
    p = np.where(np.isfinite(z), 2 * norm.sf(np.abs(z)), np.nan)
    labels = model.topic_labels()
    table = pd.DataFrame({
        "tag": np.repeat(names, K),
        "topic": np.tile(np.arange(K), len(names)),
        "label": np.tile(labels, len(names)),
        "n_albums": np.repeat(m.astype(int), K),
        "mean_weight": means.ravel(),
        "corpus_weight": np.tile(mu, len(names)),
        "lift": lift.ravel(),
        "z": z.ravel(),
        "p_value": p.ravel(),
    })
    table["q_value"] = benjamini_hochberg(table["p_value"].to_numpy())
    table["significant"] = table["q_value"] < alpha
    table.attrs["method"] = TEST_METHOD
    return table


def exemplars(model, albums: pd.DataFrame, k: int, n: int = 10) -> pd.DataFrame:
    """The `n` albums that load most on topic `k` (their `albums` rows plus `weight`), heaviest first."""
    if not 0 <= k < model.n_topics:
        raise ValueError(f"topic must be in 0..{model.n_topics - 1}, got {k}")
    index, palettes = album_palettes(albums)
    if not palettes:
        raise ValueError("no album in the DataFrame has a palette (colorgram is None or empty everywhere)")
    w = model.transform(palettes)[:, k]
    top = np.argsort(-w, kind="stable")[:n]
    has = np.flatnonzero(albums["colorgram"].map(_has_palette).to_numpy(dtype=bool))
    return albums.iloc[has[top]].assign(weight=w[top])
