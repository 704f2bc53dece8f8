"""Similar covers: the albums nearest to one album in topic space, by Hellinger distance between topic mixtures,
and (`similar_palettes`) how near they are in colour: their palettes' Earth Mover's Distance beside a random baseline.

Hellinger distance suits probability vectors (it is the Euclidean distance between their square roots, over √2):
0 for the same mixture, 1 for mixtures with no topic in common. An index built once answers a query over 25,000
albums in milliseconds, so a widget can call it on every click.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bcanalysis.album_table import album_palettes
from bcanalysis.analysis.genres import topic_weights
from bcanalysis.defaults import N_SIMILAR, RANDOM_STATE


def hellinger(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hellinger distance between the rows of `p` (N × K) and the mixture `q` (K,), each summing to 1."""
    return _from_roots(np.sqrt(np.asarray(p, dtype=np.float64)), np.sqrt(np.asarray(q, dtype=np.float64)))


def _from_roots(roots: np.ndarray, root_q: np.ndarray) -> np.ndarray:
    """Hellinger distance from square-rooted mixtures (the index keeps its roots, so queries skip the sqrt)."""
    return np.sqrt(np.clip(1.0 - roots @ root_q, 0.0, None))


class SimilarCovers:
    """Topic mixtures of every album with a palette, ready to answer "which covers are like this one?"."""

    def __init__(self, model, albums: pd.DataFrame, weights: pd.DataFrame | None = None):
        if "url" not in albums:
            raise ValueError("albums DataFrame needs a 'url' column to look albums up by")
        self.albums = albums
        self.weights = topic_weights(model, albums) if weights is None else weights
        self._roots = np.sqrt(self.weights.to_numpy(dtype=np.float64))
        self._position = pd.Series(np.arange(len(self.weights)), index=albums.loc[self.weights.index, "url"].to_numpy())

    def query(self, url: str, n: int = 12) -> pd.DataFrame:
        """The `n` albums nearest to the album at `url` (itself excluded): their rows plus `distance`, nearest first."""
        if url not in self._position.index:
            known = url in set(self.albums["url"])
            why = "has no palette" if known else "is not in the albums DataFrame"
            raise ValueError(f"album {url!r} {why}")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        i = int(np.atleast_1d(self._position[url])[0])
        dist = _from_roots(self._roots, self._roots[i])
        dist[i] = np.inf
        order = np.argsort(dist, kind="stable")[: min(n, len(dist) - 1)]
        return self.albums.loc[self.weights.index[order]].assign(distance=dist[order])


def similar(model, albums: pd.DataFrame, url: str, n: int = 12, *, weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """Albums nearest to `url` in topic space (Hellinger distance), nearest first, the album itself left out.

    For repeated queries build `SimilarCovers(model, albums)` once (or pass `weights` from `topic_weights`).
    """
    return SimilarCovers(model, albums, weights).query(url, n)


def _query_url(albums: pd.DataFrame, index: pd.Index, query: int | str) -> str:
    """`query` as an album URL: an int is a position among the albums with a palette, a str is a URL."""
    if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
        if not -len(index) <= query < len(index):
            raise ValueError(f"query album {query} is out of range: {len(index)} albums have a palette")
        return str(albums.loc[index[query], "url"])
    if isinstance(query, str):
        return query
    raise ValueError(f"query album must be a position (int) or an album URL (str), got {query!r}")


def similar_palettes(
    model: Any,
    albums: pd.DataFrame,
    query: int | str = 0,
    n: int = N_SIMILAR,
    *,
    baseline: int = 50,
    random_state: int = RANDOM_STATE,
) -> tuple[pd.Series, pd.DataFrame]:
    """The album `query` (position among albums with a palette, or URL) and its `n` nearest albums in topic space,
    each with `distance` (Hellinger, topic mixtures) and `palette_emd` (Earth Mover's Distance in CIELAB, ΔE units,
    `palette.distance`) to the query.

    `neighbours.attrs["baseline_emd"]` holds the median EMD from the query to `baseline` random other albums, and
    `attrs["spearman"]` the rank correlation of the two distances over neighbours and baseline albums together:
    what "near in topic space" buys in palette terms.
    """
    from scipy.stats import spearmanr

    from bcanalysis import palette

    index, palettes = album_palettes(albums)
    if not len(index):
        raise ValueError("no album has a palette: extract palettes first (bcanalysis palettes --db …)")
    url = _query_url(albums, index, query)
    finder = SimilarCovers(model, albums)
    neighbours = finder.query(url, n)
    by_id = dict(zip(index, palettes, strict=True))
    row = albums.loc[albums["url"] == url].iloc[0]
    mine = by_id[row.name]
    neighbours = neighbours.assign(palette_emd=[palette.distance(mine, by_id[i]) for i in neighbours.index])
    others = np.setdiff1d(np.asarray(finder.weights.index), [row.name, *neighbours.index])
    picked = np.random.default_rng(random_state).permutation(others)[:baseline]
    base_emd = np.array([palette.distance(mine, by_id[i]) for i in picked])
    weights = finder.weights
    base_topic = hellinger(weights.loc[picked].to_numpy(), weights.loc[row.name].to_numpy()) if len(picked) else []
    topic_d = np.concatenate([neighbours["distance"].to_numpy(), base_topic])
    emd = np.concatenate([neighbours["palette_emd"].to_numpy(), base_emd])
    neighbours.attrs["baseline_emd"] = float(np.median(base_emd)) if len(base_emd) else float("nan")
    neighbours.attrs["baseline_n"] = int(len(base_emd))
    neighbours.attrs["spearman"] = float(spearmanr(topic_d, emd).statistic) if len(emd) > 2 else float("nan")
    return row, neighbours
