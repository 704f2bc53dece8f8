"""Widget callbacks without a browser: set a control's value through `ipywidgets.interactive`, check the view."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bcanalysis import widgets
from bcanalysis.quantize import quantize
from bcanalysis.widgets.offline import Control
from bcanalysis.widgets.views import png, table_html

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


def test_offline_explorer_for_papermill_holds_every_depth_the_slider_reaches(palettes) -> None:
    static = widgets.explore_bit_depth(palettes, bits=15, live=False)
    live = widgets.explore_bit_depth(palettes, bits=15)
    assert isinstance(static, widgets.OfflineExplorer)
    assert static.view.png == live.result.png and static.view.caption == live.result.caption
    assert sorted(static.views) == [(b,) for b in range(3, 25, 3)]
    slider = live.children[0]
    for bits in (3, 9, 24):
        slider.value = bits
        assert static.views[(bits,)].png == live.result.png and static.views[(bits,)].caption == live.result.caption
    page = static._repr_html_()
    assert 'data-bcanalysis-widget="bit-depth"' in page and 'src="data:image/png;base64,' in page
    assert '<input type="range"' in page and 'data-bcanalysis="bit-depth" min="3" max="24" step="3" value="15"' in page
    assert "http" not in page.replace("http-equiv", "")  # no CDN, no request: everything is inline


def test_bad_input_is_clear() -> None:
    with pytest.raises(ValueError, match="no palettes"):
        widgets.explore_bit_depth([None, []])
    with pytest.raises(ValueError, match="got 10"):
        widgets.explore_bit_depth([[(1, 2, 3)]], bits=10)


def test_views_and_tables_escape_untrusted_text() -> None:
    view = widgets.View(png(np.zeros((1, 1, 3), np.uint8)), caption=XSS)
    page = view._repr_html_() + table_html([[XSS, "rock"]], ["title", XSS])
    assert XSS not in page and page.count("&lt;img src=x onerror=alert(1)&gt;") == 4
    view.html_extra = table_html([[XSS]], ["title"])
    explorer = widgets.OfflineExplorer(
        "x",
        [Control("topic", "topic", [0, 1], 0, kind="select", labels=[XSS, "</script><b>"])],
        {(0,): view, (1,): view},
    )
    page = explorer._repr_html_()
    assert XSS not in page and "</script><b>" not in page  # captions, labels and extra HTML in the data escaped too


def test_what_a_reader_sees_carries_no_timing_or_test_plumbing(palettes) -> None:
    w = widgets.explore_bit_depth(palettes, bits=12, samples=2)
    w.children[0].value = 9
    view = w.result
    assert view.render == 2  # kept for tests and benchmarks…
    shown = repr(view) + w.view.value + str(view)
    assert not re.search(r"render \d|\d ms|cached", shown)  # …never shown (it was: "render 2 · 4 ms")
    assert repr(view) == f"View({view.caption!r})" and 'data-render="2"' in w.view.value


def test_before_and_after_swatches_are_big_and_their_rows_labelled(palettes) -> None:
    """Each sample palette is a labelled pair of rows (its title at 24 bit, then "at N-bit") of swatches at least
    20 px a side: the issue measured ~12 px swatches in rows no one had labelled."""
    from io import BytesIO

    from PIL import Image

    from bcanalysis.widgets.explorers import BitDepthData

    titles = [f"Album {i}" for i in range(len(palettes))]
    data = BitDepthData([None, *palettes], samples=3, labels=["no palette", *titles])  # labels follow the palettes
    assert data.labels == ["Album 0", "Album 1", "Album 2"]
    view = data.view(9)
    image = Image.open(BytesIO(view.png))
    rows = 3 * 3 - 1  # before, after, a gap: three samples
    assert image.height / rows >= 20  # the swatch side
    pixels = np.asarray(image.convert("RGB"))
    left = pixels[:, : image.width - 40 * (image.height // rows)]  # the label column, left of the swatches
    inked = (left < 200).any(axis=(1, 2)).reshape(rows, -1).any(axis=1)
    assert inked.tolist() == [True, True, False] * 2 + [True, True]  # text on every palette row, none on gaps
    assert "then at 9-bit" in view.caption
