"""Colour topics: LDA over quantised palettes, a cached parallel sweep, model-selection metrics, topics ↔ genres.

    from bcanalysis import topics
    model = topics.fit(palettes, bits=12, n_topics=18, random_state=0)
    result = topics.sweep(palettes, bits=(9, 12, 15), n_topics=range(1, 20), random_state=0, cache_dir="data/cache")
    result.table, result.recommend(), result.model(12, 18)
    topics.tag_topic_table(model, albums_df), topics.place_topic_table(model, albums_df)   # genres, places apart
    topics.exemplars(model, albums_df, k=3, n=8)
    topics.trends(model, albums_df), topics.trend_test(albums_df), topics.intertopic_map(model, albums_df)
    topics.similar(model, albums_df, url), topics.similar_palettes(model, albums_df, 0)   # topics, then palettes
    topics.compare_spaces(albums_df)
    topics.topic_table(model, palettes)      # one row per topic: colour names, share of the corpus, top colours
    topics.findings.space_verdict(table), topics.findings.drift_verdict(test)   # conclusions, computed
"""

from bcanalysis.topics import findings  # verdicts over the tables below
from bcanalysis.topics.engines import ENGINES
from bcanalysis.topics.genres import (
    album_palettes,
    exemplars,
    place_topic_table,
    places,
    primary_tags,
    tag_column,
    tag_topic_table,
    topic_shares,
    topic_weights,
)
from bcanalysis.topics.intertopic import intertopic_map
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
    ColorTopicModel,
    ModelFileError,
    fit,
)
from bcanalysis.topics.planted import PlantedPalettes, planted_palettes
from bcanalysis.topics.selection import SweepResult, sweep
from bcanalysis.topics.similar import SimilarCovers, similar, similar_palettes
from bcanalysis.topics.spaces import compare_spaces
from bcanalysis.topics.summary import topic_table
from bcanalysis.topics.trends import palette_stats, trend_test, trends
from bcanalysis.topics.vectorize import WEIGHTINGS, DocTerm, vectorize

__all__ = [
    "ENGINES",
    "WEIGHTINGS",
    "DEFAULT_ENGINE",
    "DEFAULT_WEIGHTING",
    "FORMAT_VERSION",
    "ColorTopicModel",
    "DocTerm",
    "ModelFileError",
    "PlantedPalettes",
    "SimilarCovers",
    "SweepResult",
    "album_palettes",
    "coherence_npmi",
    "compare_spaces",
    "coherence_umass",
    "exemplars",
    "findings",
    "fit",
    "intertopic_map",
    "match_topics",
    "matched_similarity",
    "palette_stats",
    "place_topic_table",
    "places",
    "planted_palettes",
    "primary_tags",
    "recovery",
    "similar",
    "similar_palettes",
    "sweep",
    "tag_column",
    "tag_topic_table",
    "topic_diversity",
    "topic_shares",
    "topic_table",
    "topic_weights",
    "trend_test",
    "trends",
    "vectorize",
]
