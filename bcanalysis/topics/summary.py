"""A fitted model's topics in one table: each topic's colour names, its share of the corpus and its top colours."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from bcanalysis.colorspace import to_words


def topic_table(model: Any, palettes: Sequence[Any], n_colors: int = 15) -> pd.DataFrame:
    """One row per topic (numbered from 0): its colour names, its share of the corpus (`topic_shares` over
    `palettes`) and its `n_colors` top colours as hex words, heaviest first."""
    return pd.DataFrame(
        {
            "colours": model.topic_labels(),
            "share of corpus": topic_shares(model, palettes),
            "top colours": [" ".join(to_words(model.top_colors(k, n_colors))) for k in range(model.n_topics)],
        },
        index=pd.RangeIndex(0, model.n_topics, name="topic"),
    )


def topic_shares(model, palettes: Sequence[Any]) -> np.ndarray:
    """Each topic's share of the corpus: its mean weight over the palettes' topic mixtures (sums to 1)."""
    if not len(palettes):
        raise ValueError("no palettes: a topic's share of the corpus needs at least one")
    return model.transform(palettes).mean(axis=0)
