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
