"""The intertopic explorer through `ipywidgets.interactive`: a topic ringed on the map, its panel beside it."""

from __future__ import annotations

import base64

import pandas as pd
import pytest
from _planted import planted_albums

from bcanalysis import topics, widgets
from bcanalysis.widgets.beyond import IntertopicViews

XSS = "<img src=x onerror=alert(1)>"
K = 4


class _NoCovers:
    """A corpus stand-in whose albums have no cover files (grey tiles are drawn)."""

    def cover_path(self, relative):
        return None


@pytest.fixture(scope="module")
def planted() -> topics.PlantedPalettes:
    return topics.planted_palettes(160, K, random_state=5)


@pytest.fixture(scope="module")
def model(planted) -> topics.ColorTopics:
    return topics.ColorTopics(n_topics=K, random_state=0).fit(planted.palettes)


@pytest.fixture(scope="module")
def albums(planted) -> pd.DataFrame:
    dominant = planted.mixtures.argmax(axis=1)
    albums = planted_albums(
        planted,
        title=lambda i: XSS if i == 0 else f"album {i}",
        artist=lambda i: f"artist {i % 7}",
        cover_file=lambda i: None,
        tags=lambda i: [f"tag{dominant[i]}", XSS] if i == 0 else [f"tag{dominant[i]}"],
    )
    return albums.set_index(pd.RangeIndex(1, len(albums) + 1, name="id"))


def test_dropdown_rings_the_topic_on_the_map_and_shows_its_panel(model, albums) -> None:
    w = widgets.explore_intertopic(model, albums, _NoCovers(), topic=0)
    dropdown = w.children[0]
    assert [v for _, v in dropdown.options] == list(range(K))
    first = w.result
    assert first.info == {"topic": 0} and first.caption.startswith(f"topic 0: {model.topic_label(0)}")
    assert first.png.startswith(b"\x89PNG")
    dropdown.value = 3
    second = w.result
    assert second.render == first.render + 1 and second.info == {"topic": 3}
    assert second.png != first.png and not second.cached  # the map, ringed elsewhere
    page = w.view.value  # what the browser shows: the map, then the topic explorer's own panel for topic 3
    assert "topic 3: " in page and "Genres that wear topic 3" in page and "Covers loading most on it" in page
    assert XSS not in page
    dropdown.value = 0
    again = w.result
    assert again.cached and again.png == first.png


def test_panel_is_the_topic_explorers_view(model, albums) -> None:
    views = IntertopicViews(model, albums, _NoCovers())
    panel = views.topics.view(2)
    shown = views.view(2).html_extra
    assert base64.b64encode(panel.png).decode("ascii") in shown and panel.html_extra in shown
    with pytest.raises(ValueError, match=f"0..{K - 1}, got 7"):
        views.view(7)


@pytest.mark.slow
def test_offline_explorer_for_reports_holds_every_topic(model, albums) -> None:
    static = widgets.explore_intertopic(model, albums, _NoCovers(), topic=1, live=False)
    live = widgets.explore_intertopic(model, albums, _NoCovers(), topic=1)
    assert isinstance(static, widgets.OfflineExplorer) and sorted(static.views) == [(k,) for k in range(K)]
    assert static.view.png == live.result.png and static.view.caption == live.result.caption
    live.children[0].value = 3
    assert static.views[(3,)].png == live.result.png and static.views[(3,)].html_extra == live.result.html_extra
    page = static._repr_html_()
    assert 'data-bcanalysis="topic"' in page and '<option value="1" selected>1: ' in page and XSS not in page
    assert "data-render" not in page  # no render bookkeeping in a report


def test_explorer_rings_each_bubble_where_the_map_data_puts_it(model, albums) -> None:
    """The ring is drawn from the map's own x, y and radius (no matching of matplotlib's patches): each ring's centre
    is the pixel the axes put the topic's centre at, and its radius the bubble's."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from bcanalysis import plots
    from bcanalysis.widgets.beyond import MAP_DPI

    views = IntertopicViews(model, albums, _NoCovers())
    fig = plots.intertopic_map(views.map)
    fig.set_dpi(MAP_DPI)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    height = views.pixels.shape[0]
    for k, x, y in zip(views.map.topics, views.map.x, views.map.y, strict=True):
        wedge = next(p for p in ax.patches if tuple(p.center) == (x, y))  # the pie matplotlib drew
        (cx, cy), (ex, _) = ax.transData.transform([wedge.center, (wedge.center[0] + wedge.r, wedge.center[1])])
        assert views.bubbles[k] == pytest.approx((cx, height - cy, ex - cx))
