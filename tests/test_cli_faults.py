"""Issue 10's list of bad input, driven through the `bcanalysis` command: every case ends in one message on stderr
(`bcanalysis: error: …` or argparse's usage line), exit 2 for bad arguments and 1 for failures, never a traceback,
and creates nothing it should not. (The full disk, a damaged database and a read-only corpus are driven through the
command in test_corpus_faults.py; a killed palettes worker in test_palettes_job.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bcanalysis.store import Corpus, Cover

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bcanalysis", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=timeout)


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory) -> Path:
    """A small corpus with palettes, for the commands that read one."""
    path = tmp_path_factory.mktemp("faults") / "c.sqlite"
    with Corpus(path) as corpus:
        for i in range(30):
            album = {"url": f"https://s{i}.bandcamp.com/album/a{i}", "store": f"s{i}", "album": f"a{i}",
                     "title": f"A{i}", "artist": "X", "tags": ["ambient" if i % 2 else "metal"]}
            album_id = corpus.add_album(album, Cover("missing", "-"))
            colors = [SimpleNamespace(rgb=((i * 9 + k * 31) % 256, (k * 17) % 256, (i * 5) % 256), proportion=1 / 40)
                      for k in range(40)]
            corpus.save_palettes([(album_id, colors)], "test/1")
    return path


SCRAPE = ["scrape", "--db", "{tmp}/s.sqlite", "--tag", "ambient", "--limit", "1", "--base-url", "http://127.0.0.1:9"]

CASES = {
    # name: (argv, exit code, text the message must hold)
    "challenge-wait -1": ([*SCRAPE, "--challenge-wait", "-1"], 2, "--challenge-wait"),
    "challenge-wait nan": ([*SCRAPE, "--challenge-wait", "nan"], 2, "--challenge-wait"),
    "backoff -1": ([*SCRAPE, "--backoff", "-1"], 2, "--backoff"),
    "backoff nan": ([*SCRAPE, "--backoff", "nan"], 2, "--backoff"),
    "a 300-character db name": (["palettes", "--db", "{tmp}/" + "x" * 300 + ".sqlite"], 2, "File name too long"),
    "sweep --out /proc/x": (["sweep", "--db", "{db}", "--out", "/proc/x", "--bits", "9", "--min-n", "1",
                             "--max-n", "2"], 2, "/proc/x"),
    "sweep --seed -1": (["sweep", "--db", "{db}", "--out", "{tmp}/o", "--seed", "-1"], 2, "--seed"),
    "report -p x {(1, 2): 3}": (["report", "-p", "x", "{(1, 2): 3}", "--out", "{tmp}/r"], 2, "x"),
    "report -p import 5": (["report", "-p", "import", "5", "--out", "{tmp}/r"], 2, "import"),
    "report -p db /nonexistent": (["report", "-p", "db", "{tmp}/nowhere/x.sqlite", "--only", "02", "--out",
                                   "{tmp}/r"], 2, "no corpus at"),
    "palettes on a 0-byte file": (["palettes", "--db", "{tmp}/empty.sqlite"], 2, "empty file"),
    "palettes --max-pixels 0": (["palettes", "--db", "{db}", "--max-pixels", "0"], 2, "--max-pixels"),
    "extract on a FIFO": (["extract", "{tmp}/fifo.jpg"], 2, "fifo.jpg"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_ends_in_a_message_never_a_traceback(name, corpus_db, tmp_path):
    argv, code, needle = CASES[name]
    (tmp_path / "empty.sqlite").touch()
    os.mkfifo(tmp_path / "fifo.jpg")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = _cli(*(a.replace("{tmp}", str(tmp_path)).replace("{db}", str(corpus_db)) for a in argv))
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    assert needle in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(("bcanalysis: error:", "bcanalysis ", "usage:")), (
        result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created: no corpus, no folder, no report
    assert (tmp_path / "empty.sqlite").stat().st_size == 0
