"""ipywidgets explorers and the static views they share (`bcanalysis.widgets.explorers`, `.views`).

    from bcanalysis import widgets
    widgets.explore_bit_depth(palettes, bits=12)                  # a bit-depth slider over palettes
    widgets.explore_topic_counts(sweep, bits=12, n_topics=18)     # topic-count slider + depth, from a sweep's cache
    widgets.explore_topics(model, albums, corpus)                 # pick a topic: palette, tag lift, exemplar covers
    widgets.explore_intertopic(model, albums, corpus)             # the intertopic map, a topic ringed, its panel
    widgets.similar_palettes(model, albums, 0, n=8)               # nearest covers: topic and palette (EMD) distances

With `live=False` each returns an `OfflineExplorer` instead (what `bcanalysis report` draws): every view its
controls reach, rendered now, with HTML controls an inline script switches in a report opened with no kernel.
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
from bcanalysis.widgets.offline import Control, OfflineExplorer
from bcanalysis.widgets.views import (
    ANALYSIS_UNIQUE,
    View,
    cover_grid,
    engine_speed,
    exemplar_grid,
    jpeg,
    labelled_rows,
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
    "Control",
    "IntertopicViews",
    "OfflineExplorer",
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
    "jpeg",
    "labelled_rows",
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
