"""Your own covers: `bcanalysis import` of a folder of real photographs with a metadata table, then palettes.

The photographs are the ones scikit-image and scikit-learn ship; palettes are compared with colorgram.py itself.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import colorgram
import pandas as pd
import pytest
from PIL import Image

from bcanalysis.importer import album_fields, import_images, parse_tags, read_metadata
from bcanalysis.importer.fields import parse_date
from bcanalysis.store import Corpus

REPO = Path(__file__).resolve().parents[1]


def _photos() -> dict[str, Image.Image]:
    from skimage import data as skdata
    from sklearn.datasets import load_sample_image

    photos = {"china": Image.fromarray(load_sample_image("china.jpg"))}
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        photos[name] = Image.fromarray(getattr(skdata, name)())
    return {k: v.resize((v.width // 2, v.height // 2)) for k, v in photos.items()}  # smaller: a faster colorgram


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Five real photographs in five formats in nested folders, a byte-identical duplicate, a truncated JPEG, a
    text file named .jpg, and a metadata CSV with one row for a file that does not exist."""
    root = tmp_path_factory.mktemp("covers")
    photos = _photos()
    (root / "rock").mkdir()
    (root / "jazz" / "live").mkdir(parents=True)
    photos["china"].save(root / "rock" / "china.jpg", quality=92)
    photos["astronaut"].save(root / "rock" / "astronaut.png")
    photos["chelsea"].save(root / "jazz" / "chelsea.webp", lossless=True)
    photos["coffee"].convert("P", palette=Image.Palette.ADAPTIVE).save(root / "jazz" / "live" / "coffee.gif")
    photos["rocket"].save(root / "rocket.tiff")
    (root / "jazz" / "same-as-china.jpg").write_bytes((root / "rock" / "china.jpg").read_bytes())
    whole = (root / "rock" / "china.jpg").read_bytes()
    (root / "broken.jpg").write_bytes(whole[: len(whole) // 3])
    (root / "notes.jpg").write_text("not a picture")
    (root / "readme.txt").write_text("ignored: not an image suffix")
    rows = [
        {
            "file": "rock/china.jpg",
            "title": "Great Wall",
            "artist": "Anon",
            "tags": "Rock; Post-Rock ;rock",
            "date": "2019-03-01",
            "url": "https://example.org/great-wall",
            "location": "Beijing",
            "genre": "rock",
            "label": "Own Label",
            "catalog": "OL-001",
        },
        {
            "file": "rock/astronaut.png",
            "title": "Eileen",
            "artist": "NASA",
            "tags": "space rock",
            "date": "1984",
            "genre": "rock",
        },
        {
            "file": "jazz/chelsea.webp",
            "title": "Chelsea",
            "artist": "Cat",
            "tags": "jazz;bebop",
            "date": "2001-07",
            "genre": "jazz",
        },
        {"file": "jazz/live/coffee.gif", "artist": "Barista", "tags": "jazz", "date": "not a date", "genre": "jazz"},
        {"file": "gone/missing.jpg", "title": "Missing", "genre": "rock"},
        {"file": "broken.jpg", "title": "Broken", "genre": "rock"},
    ]
    with open(root / "meta.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(
            f, fieldnames=["file", "title", "artist", "tags", "date", "url", "location", "genre", "label", "catalog"]
        )
        w.writeheader()
        w.writerows(rows)
    return root


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bcanalysis", *args], capture_output=True, text=True, cwd=REPO, timeout=600
    )


@pytest.fixture(scope="module")
def imported(folder, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, subprocess.CompletedProcess]:
    db = tmp_path_factory.mktemp("corpus") / "mine.sqlite"
    first = _cli("import", str(folder), "--db", str(db), "--meta", str(folder / "meta.csv"), "--no-progress")
    palettes = _cli("palettes", "--db", str(db), "--no-progress", "--workers", "1")
    return db, first, palettes


@pytest.mark.slow
def test_import_gives_one_album_per_distinct_picture_with_the_tables_fields(imported, folder):
    db, first, _ = imported
    assert first.returncode == 0, first.stderr
    assert "5 added" in first.stdout and "2 images failed" in first.stdout and "1 duplicates" in first.stdout
    with Corpus(db) as corpus:
        df = corpus.albums().set_index("source_file")
    assert sorted(df.index) == [
        "jazz/chelsea.webp",
        "jazz/live/coffee.gif",
        "rock/astronaut.png",
        "rock/china.jpg",
        "rocket.tiff",
    ]
    china = df.loc["rock/china.jpg"]
    assert (china["title"], china["artist"], china["tags"]) == ("Great Wall", "Anon", ["rock", "post-rock"])
    assert df.loc["rock/astronaut.png", "tags"] == ["rock", "space rock"]  # the genre leads the tags
    assert (china["url"], china["location"], china["genre"]) == ("https://example.org/great-wall", "Beijing", "rock")
    assert str(china["release_date"].date()) == "2019-03-01"
    assert (china["extra_label"], china["catalog"]) == ("Own Label", "OL-001")  # 'label' clashes with a column
    assert str(df.loc["rock/astronaut.png", "release_date"].date()) == "1984-01-01"
    assert str(df.loc["jazz/chelsea.webp", "release_date"].date()) == "2001-07-01"
    coffee = df.loc["jazz/live/coffee.gif"]
    assert coffee["title"] == "coffee" and pd.isna(coffee["release_date"])  # title from the file name
    rocket = df.loc["rocket.tiff"]
    assert rocket["title"] == "rocket" and rocket["url"].startswith("urn:sha256:") and rocket["tags"] == []
    assert set(df["cover_status"]) == {"ok"}


def test_duplicates_bad_images_and_unmatched_rows_are_reported_and_recorded(imported):
    db, first, _ = imported
    out = first.stdout
    assert "jazz/same-as-china.jpg is the same picture as rock/china.jpg" in out
    assert "rocket.tiff" in out.split("images without a metadata row")[1]
    assert "date 'not a date'" in out
    with Corpus(db) as corpus:
        failures = corpus.failures()
    imports = failures[failures["source"] == "import"].set_index("file")
    assert {"broken.jpg", "notes.jpg", "meta.csv line 6: gone/missing.jpg"} == set(imports.index)
    assert "not a usable image" in imports.loc["broken.jpg", "reason"]
    assert imports.loc["meta.csv line 6: gone/missing.jpg", "reason"] == "no such image in the folder"


def test_palettes_of_imported_covers_are_colorgrams_own(imported, folder):
    db, _, palettes = imported
    assert palettes.returncode == 0, palettes.stderr
    with Corpus(db) as corpus:
        df = corpus.albums().set_index("source_file")
    for relative, row in df.iterrows():
        with Image.open(folder / relative) as image:
            expected = colorgram.extract(image, 40)
        assert row["colorgram"] == [tuple(c.rgb) for c in expected], relative
        assert row["proportions"] == pytest.approx([c.proportion for c in expected]), relative


@pytest.mark.slow
def test_reimport_adds_nothing_and_changed_metadata_updates_the_row(imported, folder, tmp_path):
    db, _, _ = imported
    again = _cli("import", str(folder), "--db", str(db), "--meta", str(folder / "meta.csv"), "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 updated, 5 unchanged" in again.stdout
    meta = pd.read_csv(folder / "meta.csv", dtype=str, keep_default_na=False)
    meta.loc[meta["file"] == "jazz/chelsea.webp", ["title", "tags"]] = ["Chelsea the Cat", "jazz;cool jazz"]
    changed = tmp_path / "meta.jsonl"
    changed.write_text("".join(json.dumps(r) + "\n" for r in meta.to_dict("records")))
    third = _cli("import", str(folder), "--db", str(db), "--meta", str(changed), "--no-progress")
    assert "0 added, 1 updated, 4 unchanged" in third.stdout, third.stdout
    with Corpus(db) as corpus:
        df = corpus.albums().set_index("source_file")
        assert corpus.counts()["palettes"] == 5  # the palettes stay: the picture did not change
    assert df.loc["jazz/chelsea.webp", "title"] == "Chelsea the Cat"
    assert df.loc["jazz/chelsea.webp", "tags"] == ["jazz", "cool jazz"]


def test_link_hard_links_covers_instead_of_copying(folder, tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        summary = import_images(corpus, folder, link=True, progress=False)
        df = corpus.albums().set_index("source_file")
        stored = corpus.cover_path(df.loc["rocket.tiff", "cover_file"])
    assert summary.added == 5
    assert os.path.samefile(stored, folder / "rocket.tiff")
    assert stored.name.startswith("h") and stored.parent == tmp_path / "c-covers"


def test_pixel_budget_refuses_a_huge_image_before_decoding(tmp_path):
    images = tmp_path / "imgs"
    images.mkdir()
    Image.new("RGB", (4000, 3000), (10, 20, 30)).save(images / "huge.png")
    Image.new("RGB", (100, 100), (10, 20, 30)).save(images / "small.png")
    with Corpus(tmp_path / "c.sqlite") as corpus:
        summary = import_images(corpus, images, max_pixels=1_000_000, progress=False)
    assert summary.added == 1
    assert [p.file for p in summary.failed] == ["huge.png"]
    assert "4000×3000 = 12.0 Mpx is over the pixel budget of 1 Mpx" in summary.failed[0].reason


@pytest.mark.slow
def test_bad_input_ends_in_a_message(tmp_path, folder):
    bad_meta = tmp_path / "meta.csv"
    bad_meta.write_text("name,title\nx.jpg,X\n")
    result = _cli("import", str(folder), "--db", str(tmp_path / "c.sqlite"), "--meta", str(bad_meta))
    assert result.returncode == 2 and "needs a 'file' column" in result.stderr and "Traceback" not in result.stderr
    result = _cli("import", str(tmp_path / "nowhere"), "--db", str(tmp_path / "c.sqlite"))
    assert result.returncode == 2 and "no folder of images" in result.stderr
    outside = tmp_path / "outside.csv"
    outside.write_text("file,title\n../../etc/passwd,X\n")
    with Corpus(tmp_path / "d.sqlite") as corpus:
        summary = import_images(corpus, folder, outside, progress=False)
    assert summary.rows_without_file[0].reason.startswith("outside ")


def test_metadata_values_are_parsed_as_documented(tmp_path):
    assert parse_tags("Rock; rock ;Post Rock;;") == ["rock", "post rock"]
    assert parse_tags(["Jazz", "jazz", "Bebop"]) == ["jazz", "bebop"]
    assert [parse_date(v) for v in ("1999", "1999-05", "2020-07-17", "2020-07-17T10:00:00", "")] == [
        "1999-01-01",
        "1999-05-01",
        "2020-07-17",
        "2020-07-17",
        None,
    ]
    with pytest.raises(ValueError):
        parse_date("17/07/2020")
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text('{"file": "a.jpg", "tags": ["x"], "year_rank": 3}\n\n{"file": "b.jpg"}\n')
    rows = list(read_metadata(jsonl))
    assert [n for n, _ in rows] == [1, 3]
    from bcanalysis.importer import ImportSummary

    fields = album_fields(rows[0][1], "a.jpg", ImportSummary())
    assert fields["title"] == "a" and fields["tags"] == ["x"] and fields["extra"] == {"year_rank": 3}


# --- the whole analysis on imported covers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory) -> Path:
    """36 covers: four crops of each of nine real photographs, three genres, a metadata CSV."""
    from skimage import data as skdata
    from sklearn.datasets import load_sample_image

    photos = {n: Image.fromarray(load_sample_image(f"{n}.jpg")) for n in ("china", "flower")}
    for name in ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "retina", "colorwheel"):
        photos[name] = Image.fromarray(getattr(skdata, name)()).convert("RGB")
    genres = {
        "china": "folk",
        "flower": "folk",
        "astronaut": "rock",
        "rocket": "rock",
        "colorwheel": "rock",
        "chelsea": "jazz",
        "coffee": "jazz",
        "immunohistochemistry": "jazz",
        "retina": "folk",
    }
    root = tmp_path_factory.mktemp("own-covers")
    rows = []
    for name, photo in photos.items():
        w, h = photo.size
        for i, (x, y) in enumerate([(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)]):
            file = f"{genres[name]}/{name}-{i}.jpg"
            (root / genres[name]).mkdir(exist_ok=True)
            photo.crop((x, y, x + w // 2, y + h // 2)).resize((160, 160)).save(root / file, quality=90)
            rows.append(
                {
                    "file": file,
                    "title": f"{name} {i}",
                    "artist": name,
                    "genre": genres[name],
                    "date": str(1990 + 3 * i + len(name)),
                    "location": "Oslo, Norway" if i % 2 else "Lagos",
                }
            )
    pd.DataFrame(rows).to_csv(root / "meta.csv", index=False)
    return root


@pytest.mark.slow
def test_report_source_corpus_runs_every_notebook_on_imported_covers(report_folder, tmp_path):
    db = tmp_path / "mine.sqlite"
    assert (
        _cli(
            "import", str(report_folder), "--db", str(db), "--meta", str(report_folder / "meta.csv"), "--no-progress"
        ).returncode
        == 0
    )
    out = tmp_path / "reports"
    params = {
        "db": str(db),
        "bits": 12,
        "n_topics": 3,
        "sweep_bits": [9, 12],
        "sweep_n": [2, 3, 4],
        "n_boot": 20,
        "n_similar": 4,
        "space_bits": [12],
        "space_restarts": 2,
    }
    argv = ["report", "--source", "corpus", "--out", str(out)]
    for name, value in params.items():
        argv += ["-p", name, repr(value)]
    result = _cli(*argv)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / "mine-cache").exists() or any((tmp_path / "mine-cache").iterdir())
    with Corpus(db) as corpus:
        assert corpus.counts()["palettes"] == 36  # notebook 02 extracted every imported cover
    import nbformat

    for page in sorted(out.glob("0*.ipynb")):
        executed = nbformat.read(str(page), as_version=4)
        errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, f"{page.name}: {errors[0].ename}: {errors[0].evalue}"
    assert len(list(out.glob("0*.html"))) == 6
    first = (out / "01_scrape.html").read_text(encoding="utf-8")
    assert "first release" in first and "The corpus at a glance" in first  # the overview, not a scrape
    assert "Scraping" not in first and "discover API" not in first  # nor a scrape's prose
    final = (out / "05_final_12bit_3topics.html").read_text(encoding="utf-8")  # named after the run's model
    assert all(g in final for g in ("folk", "rock", "jazz"))  # the genre table reads the imported genres


@pytest.mark.slow
def test_report_source_corpus_needs_an_existing_db(tmp_path):
    result = _cli("report", "--source", "corpus", "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "-p db PATH" in result.stderr
    result = _cli("report", "--source", "corpus", "-p", "db", str(tmp_path / "none.sqlite"), "--out", str(tmp_path))
    assert result.returncode == 2 and "bcanalysis import" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "none.sqlite").exists()
