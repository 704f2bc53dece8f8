"""Colour topics, the model: LDA over quantised palettes, a cached parallel sweep, model-selection metrics, model
files. What the topics say about genres, places, years and similar covers is `bcanalysis.analysis`.

    from bcanalysis import topics
    model = topics.ColorTopics(bits=12, n_topics=18, random_state=0).fit(palettes)   # a scikit-learn estimator
    result = topics.sweep(palettes, bits=(9, 12, 15), n_topics=range(1, 20), random_state=0, cache_dir="data/cache")
    result.table, result.recommend(), result.model(12, 18)
    topics.topic_table(model, palettes)      # one row per topic: colour names, share of the corpus, top colours
    topics.final_model_dir(cache_dir, 12, 18)   # where notebook 05 saves the final model and 06 reads it
"""

from bcanalysis.topics.engines import ENGINES
from bcanalysis.topics.metrics import (
    coherence_npmi,
    coherence_umass,
    match_topics,
    matched_similarity,
    recovery,
    topic_diversity,
)
from bcanalysis.topics.model import (
    DEFAULT_ENGINE,
    DEFAULT_WEIGHTING,
    FORMAT_VERSION,
    ColorTopics,
    ModelFileError,
)
from bcanalysis.topics.modelfile import final_model_dir
from bcanalysis.topics.planted import PlantedPalettes, planted_palettes
from bcanalysis.topics.selection import SweepPlan, SweepResult, sweep
from bcanalysis.topics.summary import topic_shares, topic_table
from bcanalysis.topics.vectorize import WEIGHTINGS, DocTerm, vectorize

__all__ = [
    "ENGINES",
    "WEIGHTINGS",
    "DEFAULT_ENGINE",
    "DEFAULT_WEIGHTING",
    "FORMAT_VERSION",
    "ColorTopics",
    "DocTerm",
    "ModelFileError",
    "PlantedPalettes",
    "SweepPlan",
    "SweepResult",
    "coherence_npmi",
    "coherence_umass",
    "final_model_dir",
    "match_topics",
    "matched_similarity",
    "planted_palettes",
    "recovery",
    "sweep",
    "topic_diversity",
    "topic_shares",
    "topic_table",
    "vectorize",
]
