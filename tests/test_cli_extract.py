"""`bcanalysis extract` on real files, checked against colorgram.py."""

from __future__ import annotations

import csv
import io
import json

import colorgram
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


def test_extract_csv_and_text(tmp_path, cli):
    a, _ = _covers(tmp_path)
    proc = cli("extract", str(a), "--colors", "5", "--csv", "--workers", "1")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    ref = colorgram.extract(str(a), 5)
    assert [(int(r["r"]), int(r["g"]), int(r["b"])) for r in rows] == [tuple(c.rgb) for c in ref]
    assert [float(r["proportion"]) for r in rows] == [c.proportion for c in ref]
    text = cli("extract", str(a), "--colors", "3").stdout
    assert text.startswith(str(a)) and text.count("#") == 3


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


def test_extract_into_a_closed_pipe_stops_quietly(tmp_path):
    """`bcanalysis extract … | head -1`: the reader leaves early; no traceback, the exit code says SIGPIPE."""
    import subprocess
    import sys

    photo = Image.fromarray(load_sample_image("china.jpg")).resize((64, 64))
    for i in range(120):  # ~300 kB of CSV: far more than a pipe buffers, so the writer must meet the closed end
        photo.rotate(3 * i).save(tmp_path / f"{i:03d}.png")
    proc = subprocess.Popen([sys.executable, "-m", "bcanalysis", "extract", str(tmp_path), "--csv", "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and "Traceback" not in err, err
