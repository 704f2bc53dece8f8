"""Widget callbacks without a browser: set a control's value through `ipywidgets.interactive`, check the view."""

from __future__ import annotations

import numpy as np
import pytest

from bcanalysis import widgets
from bcanalysis.quantize import quantize

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def palettes() -> list:
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (40, 3)).tolist() for _ in range(300)]


def test_bit_depth_slider_changes_view_and_vocabulary(palettes) -> None:
    w = widgets.explore_bit_depth(palettes, bits=12, samples=4)
    slider = w.children[0]
    assert (slider.min, slider.max, slider.step, slider.value) == (3, 24, 3, 12)
    first = w.result
    truth = len({tuple(c) for c in quantize(np.array(palettes).reshape(-1, 3), 12).tolist()})
    assert first.info["vocabulary"] == truth and f"{truth:,} distinct colours" in first.caption
    slider.value = 9
    second = w.result
    assert second.render == first.render + 1
    assert second.png != first.png and second.info["vocabulary"] < first.info["vocabulary"]
    assert "9-bit" in second.caption and "9-bit" in w.view.value  # the HTML the browser shows followed
    slider.value = 24
    assert w.result.info["vocabulary"] == len({tuple(c) for p in palettes for c in p})


def test_static_view_for_papermill_equals_live_first_render(palettes) -> None:
    static = widgets.explore_bit_depth(palettes, bits=15, live=False)
    live = widgets.explore_bit_depth(palettes, bits=15)
    assert isinstance(static, widgets.View)
    assert static.png == live.result.png and static.caption == live.result.caption
    assert 'src="data:image/png;base64,' in static._repr_html_()


def test_bad_input_is_clear() -> None:
    with pytest.raises(ValueError, match="no palettes"):
        widgets.explore_bit_depth([None, []])
    with pytest.raises(ValueError, match="got 10"):
        widgets.explore_bit_depth([[(1, 2, 3)]], bits=10)


def test_views_and_tables_escape_untrusted_text() -> None:
    view = widgets.View(widgets.png(np.zeros((1, 1, 3), np.uint8)), caption=XSS)
    page = view._repr_html_() + widgets.table_html([[XSS, "rock"]], ["title", XSS])
    assert XSS not in page and page.count("&lt;img src=x onerror=alert(1)&gt;") == 4
