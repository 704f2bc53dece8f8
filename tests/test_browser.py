"""A real browser: Voilà serves a notebook with an explorer on 127.0.0.1, Playwright drives Debian's Chromium.

The test moves a slider with the keyboard and waits for the callback's view to carry the next render number in its
`data-render` attribute (no sleeps, nothing shown to a reader), then checks the slider's readout and the rendered
image both changed. It skips only when no
Chromium is installed (`apt-get install chromium`) or Playwright is missing, unless BCANALYSIS_REQUIRE_BROWSER=1
(set by .ci/run), where a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.slow  # Voilà and a real browser: minutes; make test-fast leaves this module out

CHROMIUM = os.environ.get("BCANALYSIS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = os.environ.get("BCANALYSIS_SCREENSHOTS")  # a folder to save screenshots in, if set
REQUIRED = os.environ.get("BCANALYSIS_REQUIRE_BROWSER") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"BCANALYSIS_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright (Playwright's own browser download is not used)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: Path, *sources: str) -> Path:
    nb = new_notebook(cells=[new_markdown_cell("# Explorer under test"), *(new_code_cell(s) for s in sources)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def voila(notebook: Path, tmp: Path) -> Iterator[str]:
    """Serve `notebook` with Voilà on 127.0.0.1; yields its URL, stops the server afterwards."""
    port = _free_port()
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"), "MPLBACKEND": "agg"}
    log = open(tmp / "voila.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            notebook.name,
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--show_tracebacks=True",
        ],
        cwd=notebook.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("voila did not start:\n" + (tmp / "voila.log").read_text()) from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _move_slider(page, expect_render: int, key: str = "ArrowRight") -> None:
    page.locator(".bc-explorer .noUi-handle").first.focus()
    page.keyboard.press(key)
    page.wait_for_selector(f'.bc-explorer .bc-view[data-render="{expect_render}"]', timeout=30_000)


def _state(page) -> tuple[str, str, str]:
    readout = page.locator(".bc-explorer .widget-readout").first.inner_text()
    src = page.locator(".bc-explorer img.bc-image").first.get_attribute("src")
    render = page.locator(".bc-explorer .bc-view").first.get_attribute("data-render")
    return readout, src, render


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=True)


def test_bit_depth_slider_in_a_real_browser(browser, tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "bits.ipynb",
        "import numpy as np\nfrom bcanalysis import widgets\n"
        "palettes = np.random.default_rng(1).integers(0, 256, (200, 40, 3))",
        "widgets.explore_bit_depth(palettes, bits=12)",
    )
    for url in voila(nb, tmp_path):
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(url, timeout=60_000)
        page.wait_for_selector(".bc-explorer .bc-view[data-render]", timeout=60_000)
        before = _state(page)
        assert before[0] == "12" and before[2] == "1"
        _move_slider(page, 2)
        after = _state(page)
        assert after[0] == "15", after
        assert after[1] != before[1] and after[1].startswith("data:image/png;base64,")
        assert "15-bit" in page.locator(".bc-explorer .bc-caption").first.inner_text()
        _shot(page, "bit_depth_slider.png")
        page.close()


def test_topic_count_slider_in_a_real_browser(browser, tmp_path: Path) -> None:
    nb = _notebook(
        tmp_path / "topics.ipynb",
        "import numpy as np\nfrom bcanalysis import topics, widgets\n"
        "rng = np.random.default_rng(3)\nthemes = rng.integers(0, 256, (3, 12, 3))\n"
        "palettes = [themes[i % 3][rng.integers(0, 12, 20)] for i in range(150)]",
        "sweep = topics.sweep(palettes, bits=(9, 12), n_topics=[2, 3, 4, 5], random_state=0, cache_dir='cache',"
        " progress=False)",
        "widgets.explore_topic_counts(sweep, bits=12, n_topics=3)",
    )
    for url in voila(nb, tmp_path):
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(url, timeout=60_000)
        page.wait_for_selector(".bc-explorer .bc-view[data-render]", timeout=90_000)
        before = _state(page)
        assert before[0] == "3" and before[2] == "1"
        _move_slider(page, 2)
        after = _state(page)
        assert after[0] == "4", after
        assert after[1] != before[1] and after[1].startswith("data:image/png;base64,")
        assert "12-bit, 4 topics" in page.locator(".bc-explorer .bc-caption").first.inner_text()
        assert "render" not in page.locator(".bc-explorer").first.inner_text()  # no plumbing in what a reader sees
        _shot(page, "topic_count_slider.png")
        _move_slider(page, 3, key="ArrowLeft")
        back = _state(page)
        assert back[0] == "3" and back[1] == before[1]  # the same grid as before, from the views already drawn
        page.close()


def test_live_topics_map_in_a_real_browser(browser, tmp_path: Path) -> None:
    """The live topic map under Voilà: picking another topic in the menu lists that topic's colours (the kernel's
    ranking), and a click on a swatch puts its colour in the search box."""
    nb = _notebook(
        tmp_path / "topics_map.ipynb",
        "from bcanalysis import prepare, topics, widgets\n"
        "planted = topics.planted_palettes(160, 4, random_state=5)\n"
        "model = topics.ColorTopics(n_topics=4, random_state=0).fit(planted.palettes)\n"
        "the_map = prepare.intertopic_map(model)",
        "widgets.explore_topics_map(the_map)",
    )
    for url in voila(nb, tmp_path):
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto(url, timeout=60_000)
        page.wait_for_selector('svg[data-bcanalysis="map"]', timeout=90_000)
        swatches = page.locator(".widget-button")
        first = [t.strip() for t in swatches.all_inner_texts()]
        assert len(first) >= 5
        page.locator("select").first.select_option(index=2)
        page.wait_for_function(
            "n => document.querySelectorAll('.widget-button')[0].innerText.trim() !== n", arg=first[0]
        )
        second = [t.strip() for t in swatches.all_inner_texts()]
        assert second != first
        swatches.first.click()
        page.wait_for_function(
            "w => [...document.querySelectorAll('input[type=text]')].some(i => i.value === w)", arg=second[0]
        )
        _shot(page, "live_topics_map.png")
        page.close()


# --- the HTML reports, offline: no kernel, no network ---------------------------------------------------------------


@pytest.fixture(scope="module")
def offline_reports() -> Path:
    """Reports 03-05 made by `bcanalysis report` on a small demo corpus; BCANALYSIS_REPORTS=reports checks
    `make demo`'s instead."""
    if os.environ.get("BCANALYSIS_REPORTS"):
        return Path(os.environ["BCANALYSIS_REPORTS"]).resolve()
    from _demo_reports import demo_reports

    return demo_reports("drift-ambient")


@pytest.fixture
def offline_page(browser):
    """A page in a context with the network off; every request is recorded, and any not for a local file aborted."""
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page, requests, errors
    context.close()


def _open(page, reports: Path, name: str, hook: str):
    """Open report `name` (or the one page whose name starts with it: 05's follows the run's parameters) from
    file:// and return the explorer container holding the control `hook`."""
    path = reports / f"{name}.html"
    if not path.exists():
        (path,) = reports.glob(f"{name}*.html")
    page.goto(path.as_uri(), wait_until="load")
    widget = page.locator(f'[data-bcanalysis-widget]:has([data-bcanalysis="{hook}"])')
    assert widget.count() == 1, f"{name}: {widget.count()} explorers with a {hook} control"
    return widget.first


def _seen(widget) -> tuple[str, str]:
    """What the reader sees: the image (its data: URI) and the caption."""
    img = widget.locator('img[data-bcanalysis="view"]')
    assert img.count() == 1
    return img.get_attribute("src"), widget.locator('[data-bcanalysis="caption"]').inner_text()


def _only_local(requests: list[str], errors: list[str]) -> None:
    left = [u for u in requests if not u.startswith("file:")]
    assert not left, f"requests left the page: {left}"
    assert not errors, f"script errors: {errors}"


def test_offline_bit_depth_slider_moves_with_the_keyboard(browser, offline_reports, offline_page) -> None:
    page, requests, errors = offline_page
    widget = _open(page, offline_reports, "03_quantize", "bit-depth")
    slider = widget.locator('input[type=range][data-bcanalysis="bit-depth"]')
    src, caption = _seen(widget)
    bits = int(slider.input_value())
    assert caption.startswith(f"{bits}-bit: ") and src.startswith("data:image/png;base64,")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    assert int(slider.input_value()) == bits - 3
    src2, caption2 = _seen(widget)
    assert src2 != src and caption2.startswith(f"{bits - 3}-bit: ")
    assert widget.locator('[data-bcanalysis-readout="bit-depth"]').inner_text() == f"{bits - 3}-bit"
    page.keyboard.press("ArrowRight")
    assert _seen(widget) == (src, caption)  # back where it started: the same view
    _shot(page, "offline_bit_depth.png")
    _only_local(requests, errors)


def test_offline_topic_count_slider_and_depth_selector(browser, offline_reports, offline_page) -> None:
    page, requests, errors = offline_page
    widget = _open(page, offline_reports, "04_lda_sweep", "topic-count")
    slider = widget.locator('input[type=range][data-bcanalysis="topic-count"]')
    depth = widget.locator('select[data-bcanalysis="depth"]')
    src, caption = _seen(widget)
    n, bits = int(slider.input_value()), int(depth.input_value())
    assert caption.startswith(f"{bits}-bit, {n} topics")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    src2, caption2 = _seen(widget)
    assert src2 != src and caption2.startswith(f"{bits}-bit, {n - 1} topics")
    other = next(v for v in depth.locator("option").evaluate_all("os => os.map(o => o.value)") if int(v) != bits)
    depth.select_option(other)
    src3, caption3 = _seen(widget)
    assert src3 not in (src, src2) and caption3.startswith(f"{other}-bit, {n - 1} topics")
    assert int(slider.input_value()) == n - 1  # the count stays where the reader left it
    _shot(page, "offline_topic_count.png")
    _only_local(requests, errors)


def test_offline_topic_picker(browser, offline_reports, offline_page) -> None:
    page, requests, errors = offline_page
    widget = _open(page, offline_reports, "05_final", "topic")
    picker = widget.locator('select[data-bcanalysis="topic"]')
    src, caption = _seen(widget)
    assert picker.input_value() == "0" and caption.startswith("topic 0: ")
    options = picker.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert options == [str(k) for k in range(len(options))] and len(options) >= 3  # topics from 0
    picker.focus()
    page.keyboard.press("ArrowDown")  # the keyboard moves a closed select to the next option
    src2, caption2 = _seen(widget)
    assert picker.input_value() == "1" and src2 != src and caption2.startswith("topic 1: ")
    extra = widget.locator('[data-bcanalysis="extra"]').inner_text()
    assert "Genres that wear topic 1" in extra and "Covers loading most on it" in extra
    picker.select_option(options[-1])
    assert _seen(widget)[1].startswith(f"topic {options[-1]}: ")
    _shot(page, "offline_topic_picker.png")
    _only_local(requests, errors)


#: Figures of the reports a reader looks at first, by the code of the cell that draws them.
FIGURES = {
    "04_lda_sweep": {"plots.sweep_curves(sweep)": "report_04_sweep_curves.png"},
    "06_beyond": {
        "plots.topic_trends(trend, model)": "report_06_topic_trends.png",
        "plots.intertopic_map(the_map)": "report_06_intertopic_map.png",
    },
}


def test_offline_report_figures_are_shown(browser, offline_reports, offline_page) -> None:
    """The figures of 04 and 06 load from the file itself (decoded, a real size) with the network off; with
    BCANALYSIS_SCREENSHOTS set, each is saved as the reader sees it (how docs/screenshots are made)."""
    page, requests, errors = offline_page
    for name, figures in FIGURES.items():
        page.goto((offline_reports / f"{name}.html").as_uri(), wait_until="load")
        for code, shot in figures.items():
            cell = page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text=code))
            assert cell.count() == 1, f"{name}: {cell.count()} cells run {code}"
            image = cell.locator(".jp-OutputArea img")
            assert image.count() == 1, f"{name}: {code} shows {image.count()} images"
            width = image.evaluate("img => img.complete ? img.naturalWidth : 0")
            assert width > 500, f"{name}: {code}'s figure did not load ({width} px)"
            if SCREENSHOTS:
                Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
                image.screenshot(path=str(Path(SCREENSHOTS) / shot))
    _only_local(requests, errors)


# --- the pyLDAvis-style explorer (widgets.explore_topics_map), offline ------------------------------------------------


@pytest.fixture(scope="module")
def topics_map_page(tmp_path_factory) -> tuple[Path, object]:
    """A page holding only `explore_topics_map(..., live=False)` of a planted model whose topic 1 has a hostile
    label, and the prepared map it was drawn from (the test's reference)."""
    from dataclasses import replace

    from _planted import planted_albums

    from bcanalysis import prepare, topics, widgets

    planted = topics.planted_palettes(160, 4, random_state=5)
    model = topics.ColorTopics(n_topics=4, random_state=0).fit(planted.palettes)
    albums = planted_albums(planted, title=str, artist=str, cover_file=lambda i: None, tags=lambda i: ["t"])
    the_map = prepare.intertopic_map(model, albums)
    labels = [XSS_LABEL if k == 1 else lab for k, lab in zip(the_map.topics, the_map.labels, strict=True)]
    the_map = replace(the_map, table=the_map.table.assign(label=labels))
    page = tmp_path_factory.mktemp("topics-map") / "topics_map.html"
    html_ = widgets.explore_topics_map(the_map, live=False)._repr_html_()
    page.write_text(f"<!doctype html><html><head><meta charset=utf-8></head><body>{html_}</body></html>", "utf-8")
    return page, the_map


XSS_LABEL = '</script><img src=x onerror="window.bcPwned=1"><script>window.bcPwned=2</script>'


def _swatches(widget) -> list[str]:
    return widget.locator('[data-bcanalysis="relevance"] button').evaluate_all(
        "bs => bs.map(b => b.getAttribute('data-colour'))"
    )


def _numbers_apart(widget) -> None:
    """No two topic numbers on the map overlap, as Chromium lays them out."""
    boxes = widget.locator('[data-bcanalysis="map"] text[data-label]').evaluate_all(
        "ts => ts.map(t => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert len(boxes) >= 3
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), f"numbers overlap: {a} {b}"


def _ranked(the_map, k: int, lam: float) -> list[str]:
    from bcanalysis.colorspace import to_words
    from bcanalysis.widgets.topicsmap import N_SWATCHES

    return to_words(the_map.term_colors[the_map.top_terms(k, lam, N_SWATCHES)])


def test_offline_topics_map_bubble_lambda_colour(browser, topics_map_page, offline_page) -> None:
    """Click a bubble: its colours are listed, ranked as `IntertopicMap.top_terms` ranks them; move λ: the order
    changes as the prepared data says; type a colour, or click a swatch: exactly the topics whose p(colour | topic)
    is ≥ 1% are ringed. All from file:// with every request that is not a local file aborted (and none made)."""
    from bcanalysis.colorspace import to_words
    from bcanalysis.widgets.topicsmap import USES_AT

    path, the_map = topics_map_page
    page, requests, errors = offline_page
    page.goto(path.as_uri(), wait_until="load")
    widget = page.locator('[data-bcanalysis-widget="topics-map"]')
    assert widget.count() == 1
    for hook in ("map", "relevance", "colour", "lambda"):
        assert widget.locator(f'[data-bcanalysis="{hook}"]').count() == 1, hook
    slider = widget.locator('[data-bcanalysis="lambda"]')
    lam0 = float(slider.input_value())
    assert _swatches(widget) == _ranked(the_map, 0, lam0)
    _numbers_apart(widget)
    # a bubble: topic 2, clicked on its number (numbers never overlap; bubbles may)
    widget.locator('[data-bcanalysis="map"] text[data-label="2"]').click()
    assert widget.get_attribute("data-bcanalysis-topic") == "2"
    assert _swatches(widget) == _ranked(the_map, 2, lam0) != _ranked(the_map, 0, lam0)
    assert widget.locator('[data-bcanalysis="caption"]').inner_text().startswith("topic 2: ")
    ring = widget.locator('.bc-bubble[data-topic="2"] .bc-ring').get_attribute("stroke-width")
    assert float(ring) > 0
    # λ: a pair of slider steps whose rankings differ, found in the prepared data
    grid = [round(x, 2) for x in np.linspace(0, 1, 101)]
    lam1 = next(x for x in grid if _ranked(the_map, 2, x) != _ranked(the_map, 2, lam0))
    slider.fill(str(lam1))  # sets the value and fires input
    assert _swatches(widget) == _ranked(the_map, 2, lam1) != _ranked(the_map, 2, lam0)
    assert widget.locator('[data-bcanalysis-readout="lambda"]').inner_text() == f"{lam1:.2f}"
    # a colour: one worn at ≥ 1% by some topics and not others, typed as a short word when it has one
    words = np.array(to_words(the_map.term_colors))
    counts = {w: int(((words == w) & (the_map.term_p >= USES_AT)).sum()) for w in set(words)}
    word = max(counts, key=lambda w: (0 < counts[w] < len(the_map.topics), counts[w], w))
    expected = {str(k) for k in the_map.term_topic[(words == word) & (the_map.term_p >= USES_AT)]}
    short = word[::2] if word[::2] == word[1::2] else word
    search = widget.locator('input[data-bcanalysis="colour"]')
    search.fill(short)
    used = widget.locator('.bc-bubble[data-uses="1"]').evaluate_all("gs => gs.map(g => g.getAttribute('data-topic'))")
    assert set(used) == expected and expected
    assert widget.locator('[data-bcanalysis="uses"]').inner_text().startswith(f"#{word}: used by topic")
    # a swatch: the first of the list is searched
    first = _swatches(widget)[0]
    widget.locator('[data-bcanalysis="relevance"] button').first.click()
    assert search.input_value() == first
    used = widget.locator('.bc-bubble[data-uses="1"]').evaluate_all("gs => gs.map(g => g.getAttribute('data-topic'))")
    assert set(used) == {str(k) for k in the_map.term_topic[(words == first) & (the_map.term_p >= USES_AT)]}
    # the hostile label (topic 1) is text: in the bubble's title and the caption, never markup
    widget.locator('[data-bcanalysis="map"] text[data-label="1"]').click()
    assert widget.locator('[data-bcanalysis="caption"]').inner_text() == f"topic 1: {XSS_LABEL}"
    assert page.evaluate("window.bcPwned === undefined") and page.locator("img").count() == 0
    _shot(page, "offline_topics_map.png")
    _only_local(requests, errors)


def test_offline_topics_map_in_report_06(browser, offline_reports, offline_page) -> None:
    """Report 06 holds the explorer: clicking another bubble lists other colours, no request leaves the page."""
    page, requests, errors = offline_page
    widget = _open(page, offline_reports, "06_beyond", "map")
    before = _swatches(widget)
    numbers = widget.locator('[data-bcanalysis="map"] text[data-label]')
    assert numbers.count() >= 3 and before
    _numbers_apart(widget)
    other = numbers.last.get_attribute("data-label")
    numbers.last.click()
    assert widget.get_attribute("data-bcanalysis-topic") == other and _swatches(widget) != before
    widget.locator('[data-bcanalysis="relevance"] button').first.click()  # its top colour, searched
    assert widget.locator('input[data-bcanalysis="colour"]').input_value() == _swatches(widget)[0]
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        widget.screenshot(path=str(Path(SCREENSHOTS) / "report_06_topics_map.png"))
    _only_local(requests, errors)
