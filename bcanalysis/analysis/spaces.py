"""Which colour space makes the best colour words? RGB (the analysis's), HLS and OKLab bins compared on the same
palettes by the coherence and seed stability of their topics and how well those topics tell tags apart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from bcanalysis.album_table import album_palettes, primary_tags
from bcanalysis.defaults import N_RESTARTS, RANDOM_STATE, SWEEP_BITS
from bcanalysis.quantize import SPACES
from bcanalysis.topics.metrics import coherence_npmi, matched_similarity, topic_diversity
from bcanalysis.topics.model import DEFAULT_ENGINE, DEFAULT_WEIGHTING, ColorTopics, restart_seeds
from bcanalysis.topics.vectorize import vectorize


def tag_accuracy(mixtures: np.ndarray, tags: Sequence[str], folds: int = 5, random_state: int = 0) -> float:
    """Cross-validated accuracy of a logistic regression telling albums' tags apart from their topic mixtures."""
    tags = np.asarray(tags)
    counts = pd.Series(tags).value_counts()
    folds = int(min(folds, counts.min())) if len(counts) else 0
    if folds < 2 or len(counts) < 2:  # one genre (or one album of one) leaves nothing to tell apart
        return float("nan")
    cv = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    clf = LogisticRegression(max_iter=2000)
    return float(cross_val_score(clf, np.log(np.clip(mixtures, 1e-9, None)), tags, cv=cv).mean())


def compare_spaces(
    albums: pd.DataFrame,
    *,
    bits: Sequence[int] = SWEEP_BITS,
    spaces: Sequence[str] = SPACES,
    n_topics: int = 10,
    n_restarts: int = N_RESTARTS,
    random_state: int = RANDOM_STATE,
    weighting: str = DEFAULT_WEIGHTING,
    engine: str = DEFAULT_ENGINE,
    engine_options: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Fit `n_restarts` models per (space, bits) on the albums' palettes (`ColorTopics` with these parameters, one
    seed each) and measure each binning.

    Columns: vocabulary (distinct colour words), coherence_npmi (mean over topics, higher is better), diversity,
    stability (matched cosine between seeds' topics), tag_accuracy (cross-validated, chance = 1 / number of tags),
    fit_seconds. The models are fitted on every album with a palette; tag accuracy is measured on those with a tag
    (`found_under` or `tags`) and is NaN, with the reason in `attrs["note"]`, when fewer than two genres have two
    albums each.
    """
    index, palettes = album_palettes(albums)
    if len(palettes) < 2:
        raise ValueError(f"need at least 2 albums with a palette, got {len(palettes)}")
    tags = primary_tags(albums).loc[index]
    tagged = tags.notna().to_numpy()
    counts = tags[tagged].value_counts()
    rows = []
    base = ColorTopics(
        n_topics=n_topics,
        weighting=weighting,
        engine=engine,
        n_restarts=n_restarts,
        random_state=random_state,
        engine_options=engine_options,
    )
    n_restarts = base.checked_params()["n_restarts"]  # every parameter checked before the first fit
    for space in spaces:
        for b in bits:
            doc_term = vectorize(palettes, b, space=space)
            start = time.perf_counter()
            cell = clone(base).set_params(bits=b, space=space)
            models = [
                clone(cell).set_params(random_state=s, n_restarts=1).fit_doc_term(doc_term)
                for s in restart_seeds(random_state, n_restarts, b)
            ]
            seconds = (time.perf_counter() - start) / len(models)
            first = models[0]
            rows.append(
                {
                    "space": space,
                    "bits": b,
                    "vocabulary": len(doc_term.colors),
                    "coherence_npmi": float(np.nanmean(coherence_npmi(first.components_, doc_term.counts))),
                    "diversity": topic_diversity(first.components_),
                    "stability": (
                        np.mean([matched_similarity(first.components_, m.components_) for m in models[1:]])
                        if len(models) > 1
                        else np.nan
                    ),
                    "tag_accuracy": tag_accuracy(
                        first.transform_matrix(doc_term)[tagged], tags[tagged].to_numpy(), random_state=random_state
                    ),
                    "fit_seconds": seconds,
                }
            )
    table = pd.DataFrame(rows)
    table.attrs["chance"] = 1 / len(counts) if len(counts) else float("nan")
    table.attrs["n_albums"], table.attrs["n_topics"] = len(palettes), n_topics
    if table["tag_accuracy"].isna().all():
        have = (
            f"{len(counts)} genre{'s' * (len(counts) != 1)} ({_series_of(counts)})"
            if len(counts)
            else "no album with a genre tag"
        )
        table.attrs["note"] = f"tag accuracy needs two genres with two or more albums each; this corpus has {have}"
    return table


def _series_of(counts: pd.Series, most: int = 4) -> str:
    """ "rock: 5, jazz: 1" for the largest `most` counts, then how many more."""
    shown = ", ".join(f"{k}: {v}" for k, v in counts.head(most).items())
    return shown + (f" and {len(counts) - most} more" if len(counts) > most else "")
