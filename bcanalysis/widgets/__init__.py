"""ipywidgets explorers over the analysis's results, and the static views they share.

    from bcanalysis import widgets
    widgets.explore_bit_depth(palettes, bits=12)                  # a bit-depth slider over palettes
    widgets.explore_topic_counts(sweep, bits=12, n_topics=18)     # topic-count slider + depth, from a sweep's cache
    widgets.explore_topics(model, albums, corpus)                 # pick a topic: palette, tag lift, exemplar covers
    widgets.explore_intertopic(model, albums, corpus)             # the intertopic map, a topic ringed, its panel
    widgets.explore_topics_map(the_map)      # pyLDAvis: click a bubble, colours by relevance(λ), find a colour
    widgets.grids_by_depth(sweep), widgets.exemplar_grid(model, albums, corpus)   # static views of the same
    widgets.cover_grid(corpus, albums), widgets.palette_view(prepare.palette_strips(albums))

Widgets only arrange views and controls: what they show is computed by `topics`, `quantize` and `palette` (similar
covers: `analysis.similar_palettes`; the topic table: `topics.topic_table`; vocabulary: `quantize.vocabulary_table`),
and a view the reports also draw as a Figure is prepared once by `bcanalysis.prepare` (topic grids, palette strips,
the intertopic map), the same data `plots` draws.
Each returns a `View` (an image with an escaped caption), or with `live=False` an `OfflineExplorer` (what
`bcanalysis report` draws): every view its controls reach, rendered now, with HTML controls an inline script
switches in a report opened with no kernel. The building blocks live in `bcanalysis.widgets.views`,
`.explorers`, `.beyond`, `.topicsmap` and `.offline`.
"""

from bcanalysis.widgets.beyond import explore_intertopic
from bcanalysis.widgets.explorers import explore_bit_depth, explore_topic_counts, explore_topics, grids_by_depth
from bcanalysis.widgets.offline import OfflineExplorer as OfflineExplorer  # the type live=False returns, not an entry
from bcanalysis.widgets.topicsmap import explore_topics_map
from bcanalysis.widgets.views import View, cover_grid, exemplar_grid, palette_view

__all__ = [
    "View",
    "cover_grid",
    "exemplar_grid",
    "explore_bit_depth",
    "explore_intertopic",
    "explore_topic_counts",
    "explore_topics",
    "explore_topics_map",
    "grids_by_depth",
    "palette_view",
]
