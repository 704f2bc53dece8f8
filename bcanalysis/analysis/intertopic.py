"""The intertopic map: topics placed in 2-D so that similar colour topics sit close, sized by prevalence.

As pyLDAvis does for word topics: Jensen-Shannon distances between topic-colour distributions, then classical
multidimensional scaling (principal coordinates) to two dimensions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

from bcanalysis.analysis.genres import topic_weights
from bcanalysis.colorspace import to_words


def topic_distances(components: np.ndarray) -> np.ndarray:
    """K × K Jensen-Shannon distances (base 2, so 0..1) between the rows of a topic-colour matrix."""
    comp = np.asarray(components, dtype=np.float64)
    comp = comp / comp.sum(axis=1, keepdims=True)
    k = len(comp)
    out = np.zeros((k, k))
    for i in range(k):
        out[i, i + 1 :] = jensenshannon(comp[i][None, :], comp[i + 1 :], axis=1, base=2)
    return out + out.T


def classical_mds(distances: np.ndarray, dims: int = 2) -> np.ndarray:
    """Principal coordinates: points whose Euclidean distances best match `distances` (exact when they can)."""
    d2 = np.asarray(distances, dtype=np.float64) ** 2
    n = len(d2)
    centre = np.eye(n) - np.ones((n, n)) / n
    vals, vecs = np.linalg.eigh(-0.5 * centre @ d2 @ centre)
    top = np.argsort(vals)[::-1][:dims]
    coords = vecs[:, top] * np.sqrt(np.clip(vals[top], 0, None))
    coords *= np.where(coords[np.abs(coords).argmax(axis=0), range(coords.shape[1])] < 0, -1, 1)  # fix sign
    if coords.shape[1] < dims:
        coords = np.pad(coords, ((0, 0), (0, dims - coords.shape[1])))
    return coords


#: The largest bubble's radius, as a share of the map's span (the larger of its x and y extents).
BUBBLE_SCALE = 0.06


def bubble_radii(x: np.ndarray, y: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    """Each topic's bubble radius in map units: area proportional to prevalence, the largest `BUBBLE_SCALE` of the
    map's span (so bubbles stay readable whatever the spread of the points)."""
    span = max(np.ptp(x), np.ptp(y), 1e-9)
    return BUBBLE_SCALE * span * np.sqrt(prevalence / np.max(prevalence))


def intertopic_map(model: Any, albums: pd.DataFrame | None = None, *, n_colors: int = 5) -> pd.DataFrame:
    """One row per topic: map position (`x`, `y`), `prevalence` (mean album weight; uniform without albums), its
    bubble's `radius` (map units, `bubble_radii`), its colour name label and top colours as hex words with their
    weights: what `prepare.intertopic_map` turns into the plain data `plots` and the explorer both draw."""
    coords = classical_mds(topic_distances(model.components_))
    if albums is not None:
        prevalence = topic_weights(model, albums).mean(axis=0).to_numpy()
    else:
        prevalence = np.full(model.n_topics, 1 / model.n_topics)
    return pd.DataFrame(
        {
            "topic": np.arange(model.n_topics),
            "x": coords[:, 0],
            "y": coords[:, 1],
            "prevalence": prevalence,
            "radius": bubble_radii(coords[:, 0], coords[:, 1], prevalence),
            "label": model.topic_labels(3),
            "colors": [to_words(model.top_colors(k, n_colors)) for k in range(model.n_topics)],
            "weights": [model.top_weights(k, n_colors).tolist() for k in range(model.n_topics)],
        }
    ).set_index("topic")
