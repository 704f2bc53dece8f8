"""ipywidgets explorers and the static views they share (`bcanalysis.widgets.explorers`, `.views`).

    from bcanalysis import widgets
    widgets.explore_bit_depth(palettes, bits=12)                  # a bit-depth slider over palettes
    widgets.explore_topic_counts(sweep, bits=12, n_topics=18)     # topic-count slider + depth, from a sweep's cache
    widgets.explore_topics(model, albums, corpus)                 # pick a topic: palette, tag lift, exemplar covers
    widgets.explore_intertopic(model, albums, corpus)             # the intertopic map, a topic ringed, its panel
    widgets.similar_palettes(model, albums, 0, n=8)               # nearest covers: topic and palette (EMD) distances

With `live=False` each returns the static `View` for its values instead (what `bcanalysis report` draws).
"""

from bcanalysis.widgets.beyond import IntertopicViews, explore_intertopic, similar_palettes
from bcanalysis.widgets.explorers import (
    BitDepthData,
    TopicCountViews,
    TopicViews,
    explore_bit_depth,
    explore_topic_counts,
    explore_topics,
    topic_grids,
)
from bcanalysis.widgets.views import (
    ANALYSIS_UNIQUE,
    View,
    cover_grid,
    engine_speed,
    exemplar_grid,
    palette_strips,
    png,
    strips,
    table_html,
    topic_grid_pixels,
    topic_grid_view,
    topic_table,
    vocabulary_table,
)

__all__ = [
    "ANALYSIS_UNIQUE",
    "BitDepthData",
    "IntertopicViews",
    "TopicCountViews",
    "TopicViews",
    "View",
    "cover_grid",
    "engine_speed",
    "exemplar_grid",
    "explore_bit_depth",
    "explore_intertopic",
    "explore_topic_counts",
    "explore_topics",
    "palette_strips",
    "png",
    "similar_palettes",
    "strips",
    "table_html",
    "topic_grid_pixels",
    "topic_grid_view",
    "topic_grids",
    "topic_table",
    "vocabulary_table",
]
