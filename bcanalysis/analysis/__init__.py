"""What colour topics say about a corpus: genres and places (lift with a permutation test), colour over the years,
similar covers, the intertopic map, and the colour-space comparison. Reads the album table (`bcanalysis.album_table`)
and a fitted model (`bcanalysis.topics`).

    from bcanalysis import analysis
    analysis.tag_topic_table(model, albums), analysis.place_topic_table(model, albums)   # genres, places apart
    analysis.strong_links(table)                       # the links a report names: lift > 1, q below alpha
    analysis.exemplars(model, albums, k=3, n=8)
    analysis.trends(model, albums), analysis.trend_test(albums), analysis.intertopic_map(model, albums)
    analysis.similar(model, albums, url), analysis.similar_palettes(model, albums, 0)   # topics, then palettes
    analysis.compare_spaces(albums)
"""

from bcanalysis.analysis.genres import (
    exemplars,
    place_topic_table,
    q_text,
    strong_links,
    tag_topic_table,
    topic_weights,
)
from bcanalysis.analysis.intertopic import intertopic_map
from bcanalysis.analysis.similar import SimilarCovers, similar, similar_palettes
from bcanalysis.analysis.spaces import compare_spaces
from bcanalysis.analysis.trends import palette_stats, trend_test, trends

__all__ = [
    "SimilarCovers",
    "compare_spaces",
    "exemplars",
    "intertopic_map",
    "palette_stats",
    "place_topic_table",
    "q_text",
    "similar",
    "similar_palettes",
    "strong_links",
    "tag_topic_table",
    "topic_weights",
    "trend_test",
    "trends",
]
