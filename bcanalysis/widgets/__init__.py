"""ipywidgets explorers over the analysis's results, and the static views they share.

    from bcanalysis import widgets
    widgets.explore_bit_depth(palettes, bits=12)                  # a bit-depth slider over palettes
    widgets.explore_topic_counts(sweep, bits=12, n_topics=18)     # topic-count slider + depth, from a sweep's cache
    widgets.explore_topics(model, albums, corpus)                 # pick a topic: palette, tag lift, exemplar covers
    widgets.explore_intertopic(model, albums, corpus)             # the intertopic map, a topic ringed, its panel
    widgets.grids_by_depth(sweep), widgets.exemplar_grid(model, albums, corpus)   # static views of the same
    widgets.cover_grid(corpus, albums), widgets.palette_view(albums)

Widgets only arrange views and controls: what they show is computed by `topics`, `quantize` and `palette` (similar
covers: `topics.similar_palettes`; the topic table: `topics.topic_table`; vocabulary: `quantize.vocabulary_table`).
Each returns a `View` (an image with an escaped caption), or with `live=False` an `OfflineExplorer` (what
`bcanalysis report` draws): every view its controls reach, rendered now, with HTML controls an inline script
switches in a report opened with no kernel. The building blocks live in `bcanalysis.widgets.views`,
`.explorers`, `.beyond` and `.offline`.
"""

from typing import Any

from bcanalysis.deprecation import moved_attribute
from bcanalysis.widgets.beyond import explore_intertopic
from bcanalysis.widgets.explorers import explore_bit_depth, explore_topic_counts, explore_topics, grids_by_depth
from bcanalysis.widgets.offline import OfflineExplorer
from bcanalysis.widgets.views import View, cover_grid, exemplar_grid, palette_view

__all__ = [
    "OfflineExplorer",
    "View",
    "cover_grid",
    "exemplar_grid",
    "explore_bit_depth",
    "explore_intertopic",
    "explore_topic_counts",
    "explore_topics",
    "grids_by_depth",
    "palette_view",
]

#: Names this package exported in 0.1: analysis that moved to its layer, and building blocks now reached through
#: their module. They keep working, with a DeprecationWarning, until 0.3. (`engine_speed` is gone: it timed what
#: `benchmarks/bench_palette.py` times; `palette.against_colorgram` is the notebook's call.)
MOVED = {
    "similar_palettes": "bcanalysis.topics.similar:similar_palettes",
    "topic_table": "bcanalysis.topics.summary:topic_table",
    "vocabulary_table": "bcanalysis.quantize:vocabulary_table",
    "ANALYSIS_UNIQUE": "bcanalysis.quantize:ANALYSIS_UNIQUE",
    "palette_strips": "bcanalysis.widgets.views:palette_view",
    "topic_grids": "bcanalysis.widgets.explorers:grids_by_depth",
    **{name: f"bcanalysis.widgets.views:{name}" for name in (
        "jpeg", "labelled_rows", "png", "strips", "table_html", "topic_grid_pixels", "topic_grid_view")},
    **{name: f"bcanalysis.widgets.explorers:{name}" for name in ("BitDepthData", "TopicCountViews", "TopicViews")},
    "IntertopicViews": "bcanalysis.widgets.beyond:IntertopicViews",
    "Control": "bcanalysis.widgets.offline:Control",
}


def __getattr__(name: str) -> Any:
    return moved_attribute(__name__, name, MOVED)
