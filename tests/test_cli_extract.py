"""`bcanalysis extract` on real files, checked against colorgram.py."""

from __future__ import annotations

import csv
import io
import json

import colorgram
import pytest
from PIL import Image
from sklearn.datasets import load_sample_image


def _covers(tmp_path):
    (tmp_path / "covers" / "more").mkdir(parents=True)
    a = tmp_path / "covers" / "china.jpg"
    b = tmp_path / "covers" / "more" / "flower.png"
    Image.fromarray(load_sample_image("china.jpg")).save(a, quality=85)
    Image.fromarray(load_sample_image("flower.jpg")).save(b)
    return a, b


def test_extract_json_matches_colorgram(tmp_path, cli):
    a, b = _covers(tmp_path)
    proc = cli("extract", str(tmp_path / "covers"), "--colors", "12", "--json", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [d["source"] for d in data] == [str(a), str(b)]
    for d, path in zip(data, (a, b), strict=True):
        ref = colorgram.extract(str(path), 12)
        assert [c["rgb"] for c in d["colors"]] == [list(c.rgb) for c in ref]
        assert [c["proportion"] for c in d["colors"]] == [c.proportion for c in ref]
        assert d["error"] is None


@pytest.mark.slow
def test_extract_csv_and_text(tmp_path, cli):
    a, _ = _covers(tmp_path)
    proc = cli("extract", str(a), "--colors", "5", "--csv", "--workers", "1")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    ref = colorgram.extract(str(a), 5)
    assert [(int(r["r"]), int(r["g"]), int(r["b"])) for r in rows] == [tuple(c.rgb) for c in ref]
    assert [float(r["proportion"]) for r in rows] == [c.proportion for c in ref]
    text = cli("extract", str(a), "--colors", "3").stdout
    assert text.startswith(str(a)) and text.count("#") == 3


@pytest.mark.slow
def test_extract_reports_bad_inputs(tmp_path, cli):
    a, _ = _covers(tmp_path)
    broken = tmp_path / "covers" / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    proc = cli("extract", str(tmp_path / "covers"), "--json", "--no-progress")
    assert proc.returncode == 1
    assert "broken.jpg" in proc.stderr and "cannot identify image file" in proc.stderr
    data = json.loads(proc.stdout)
    assert sum(d["error"] is None for d in data) == 2
    missing = cli("extract", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr and "nope" in missing.stderr
    bad_n = cli("extract", str(a), "--colors", "-3")
    assert bad_n.returncode == 2 and "-3" in bad_n.stderr


@pytest.mark.slow
def test_extract_into_a_closed_pipe_stops_quietly(tmp_path):
    """`bcanalysis extract … | head -1`: the reader leaves early; no traceback, the exit code says SIGPIPE."""
    import subprocess
    import sys

    photo = Image.fromarray(load_sample_image("china.jpg")).resize((64, 64))
    for i in range(120):  # ~300 kB of CSV: far more than a pipe buffers, so the writer must meet the closed end
        photo.rotate(3 * i).save(tmp_path / f"{i:03d}.png")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bcanalysis", "extract", str(tmp_path), "--csv", "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and "Traceback" not in err, err


@pytest.mark.slow
def test_extract_skips_what_is_not_a_regular_file(tmp_path, cli):
    """A FIFO (named like an image, in a folder or given by name) would block `open` for ever: it is skipped."""
    import os

    a, b = _covers(tmp_path)
    os.mkfifo(tmp_path / "covers" / "pipe.jpg")
    os.mkfifo(tmp_path / "named.png")
    proc = cli("extract", str(tmp_path / "covers"), str(tmp_path / "named.png"), "--json", "--no-progress", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"bcanalysis: skipped {tmp_path / 'covers' / 'pipe.jpg'}: not a regular file (a FIFO)" in proc.stderr
    assert f"bcanalysis: skipped {tmp_path / 'named.png'}: not a regular file (a FIFO)" in proc.stderr
    assert [d["source"] for d in json.loads(proc.stdout)] == [str(a), str(b)]
    only_fifo = cli("extract", str(tmp_path / "named.png"), timeout=60)
    assert only_fifo.returncode == 2 and "no image files found" in only_fifo.stderr


@pytest.mark.slow
def test_extract_max_pixels(tmp_path, cli):
    a, b = _covers(tmp_path)  # china.jpg and flower.png are 640 × 427 = 273,280 px
    proc = cli("extract", str(a), str(b), "--max-pixels", "0.2M", "--json", "--no-progress")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert (
        f"bcanalysis: cannot read {a}: ImageTooLarge: 640×427 = 0.3 Mpx is over the pixel budget of 0.2 Mpx"
        in proc.stderr
    )
    assert [d["error"] is None for d in json.loads(proc.stdout)] == [False, False]
    ok = cli("extract", str(a), "--max-pixels", "273280", "--json", "--no-progress")
    assert ok.returncode == 0 and json.loads(ok.stdout)[0]["colors"]
    bad = cli("extract", str(a), "--max-pixels=-1M")
    assert bad.returncode == 2 and "'-1M'" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_extract_to_a_full_disk_is_a_message(tmp_path):
    """Writing the palettes fails (ENOSPC on /dev/full): one error line, exit 1, no traceback."""
    import subprocess
    import sys

    a, _ = _covers(tmp_path)
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "bcanalysis", "extract", str(a), "--csv", "--no-progress"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == "bcanalysis: error: cannot write the palettes: No space left on device"
