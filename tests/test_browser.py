"""A real browser: Voilà serves a notebook with an explorer on 127.0.0.1, Playwright drives Debian's Chromium.

The test moves a slider with the keyboard and waits for the callback's `bc-marker` line to name the next render
(no sleeps), then checks the slider's readout and the rendered image both changed. It skips only when no
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

CHROMIUM = os.environ.get("BCANALYSIS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]  # fmt: skip
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
        [sys.executable, "-m", "voila", notebook.name, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         "--show_tracebacks=True"],
        cwd=notebook.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
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


def _move_slider(page, marker_before: str, expect_render: int, key: str = "ArrowRight") -> None:
    page.locator(".bc-explorer .noUi-handle").first.focus()
    page.keyboard.press(key)
    page.wait_for_function(
        "n => [...document.querySelectorAll('.bc-marker')].some(e => e.textContent.startsWith('render ' + n + ' '))",
        arg=expect_render, timeout=30_000,
    )  # fmt: skip


def _state(page) -> tuple[str, str, str]:
    readout = page.locator(".bc-explorer .widget-readout").first.inner_text()
    src = page.locator(".bc-explorer img.bc-image").first.get_attribute("src")
    marker = page.locator(".bc-explorer .bc-marker").first.inner_text()
    return readout, src, marker


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
        page.wait_for_selector(".bc-explorer .bc-marker", timeout=60_000)
        before = _state(page)
        assert before[0] == "12" and before[2].startswith("render 1 ")
        _move_slider(page, before[2], 2)
        after = _state(page)
        assert after[0] == "15", after
        assert after[1] != before[1] and after[1].startswith("data:image/png;base64,")
        assert "15-bit" in page.locator(".bc-explorer .bc-caption").first.inner_text()
        _shot(page, "bit_depth_slider.png")
        page.close()


def test_topic_count_slider_in_a_real_browser(browser, tmp_path: Path) -> None:
    topics = pytest.importorskip("bcanalysis.topics")
    if not hasattr(topics, "sweep"):
        pytest.skip("bcanalysis.topics.sweep is not there yet (issue 4)")
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
        page.wait_for_selector(".bc-explorer .bc-marker", timeout=90_000)
        before = _state(page)
        assert before[0] == "3" and before[2].startswith("render 1 ")
        _move_slider(page, before[2], 2)
        after = _state(page)
        assert after[0] == "4", after
        assert after[1] != before[1] and after[1].startswith("data:image/png;base64,")
        assert "12-bit, 4 topics" in page.locator(".bc-explorer .bc-caption").first.inner_text()
        ms = float(after[2].split("·")[1].split()[0])
        assert ms < 200, after[2]
        _shot(page, "topic_count_slider.png")
        _move_slider(page, after[2], 3, key="ArrowLeft")
        back = _state(page)
        assert back[0] == "3" and back[1] == before[1] and back[2].endswith("cached")
        page.close()
