"""Scraping end to end against servers on 127.0.0.1: discover-only by default, album pages opt-in and stopped by
refusals, every fault, hostile discover answers, stale and repeating cursors, resume after SIGKILL, the CLI."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from _hostile import HostileServer, discover_item, held_child, json_reply
from PIL import Image

from bcanalysis.bandcamp import Client, Politeness
from bcanalysis.cli import main
from bcanalysis.demo import DemoServer
from bcanalysis.palette import extract_palettes
from bcanalysis.scrape import discover, fetch_cover, scrape
from bcanalysis.store import Corpus

REPO = Path(__file__).resolve().parents[1]
#: Fast rates for a server on 127.0.0.1, and a short wait before a refused page is tried again.
QUICK = Politeness(rate=500, cover_rate=500, challenge_wait=0.05)
FAST = {"politeness": QUICK, "progress": False}


def _settle(server: DemoServer) -> None:
    """Wait until the server has logged every answer it sent (it logs just after writing)."""
    n = -1
    while n != len(server.requests):
        n = len(server.requests)
        time.sleep(0.1)


def _pages(server: DemoServer) -> list:
    _settle(server)
    return [r for r in server.requests if r.path.startswith("/s/")]


def _posts(server: DemoServer) -> list:
    return [r for r in server.requests if r.method == "POST"]


def _first_albums(server: DemoServer, tag: str, albums_per_tag: int) -> list:
    return list(dict.fromkeys(server.listings[tag]))[:albums_per_tag]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.slow
def test_discover_only_stores_every_album_from_its_result_with_its_cover_and_a_rerun_fetches_nothing(tmp_path):
    with DemoServer(albums_per_tag=40, max_cover_px=96) as server:
        tags = ["rock", "metal"]
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, tags, 40, base_url=server.url, page_size=15, **FAST)
            expected = {a.url: a for t in tags for a in _first_albums(server, t, 40)}
            df = corpus.albums()
            assert set(df["url"]) == set(expected) and df["url"].is_unique and summary.new == len(expected)
            assert summary.skipped_tracks > 0 and (df["item_type"] == "a").all()
            assert (df["cover_status"] == "ok").all() and (df["cover_width"] == 96).all()
            for row in df.itertuples():
                a = expected[row.url]
                genre_id = None if pd.isna(row.genre_id) else row.genre_id
                assert (row.title, row.artist, row.store, row.album, row.art_id, row.location, genre_id) == (
                    a.title,
                    a.artist,
                    a.store,
                    a.slug,
                    a.art_id,
                    a.location,
                    a.genre_id,
                )
                assert (row.label if isinstance(row.label, str) else None) == a.store_label  # only a label store shows
                assert row.tags == [] and set(row.found_under) == {t for t in tags if a in server.listings[t]}
                assert row.release_date.date() == a.release_date
            assert _pages(server) == []  # no album page was fetched
            n = len(server.requests)
            again = scrape(corpus, tags, 40, base_url=server.url, **FAST)
            _settle(server)
            assert again.new == 0 and len(server.requests) == n  # nothing refetched, nothing re-listed


@pytest.mark.slow
def test_done_when_every_album_page_is_a_challenge(tmp_path, capsys):
    """Issue 9's acceptance: all albums with covers discover-only; --album-pages stops after 5 refusals, exit 0."""
    db = str(tmp_path / "d.sqlite")
    with DemoServer(albums_per_tag=100, max_cover_px=64, challenge_pages=True) as server:
        cmd = [
            "scrape",
            "--db",
            db,
            "--tag",
            "metal",
            "--tag",
            "ambient",
            "--albums-per-tag",
            "100",
            "--base-url",
            server.url,
            "--rate",
            "50",
            "--cover-rate",
            "100",
            "--no-progress",
        ]
        code, out, err = _run(capsys, *cmd)
        assert code == 0, err
        expected = {a.url for t in ("metal", "ambient") for a in _first_albums(server, t, 100)}
        with Corpus(db) as corpus:
            df = corpus.albums()
        assert set(df["url"]) == expected and (df["cover_status"] == "ok").all()
        assert "single tracks" in out and _pages(server) == []
        assert len(_posts(server)) <= 2 * -(-len(expected) // 60)  # ≤ 2 site requests per 60 albums
        _settle(server)
        n_before = len(server.requests)
        code, out, err = _run(capsys, *cmd, "--album-pages")
        assert code == 0
        assert "refused 5 album pages in a row" in err and "every album and cover from the discover API is kept" in err
        assert "does not impersonate a browser" in err
        assert len(_pages(server)) == 5 and len(server.requests) - n_before == 5  # listing complete: no discover
        with Corpus(db) as corpus:
            after = corpus.albums()
        assert len(after) == len(df) and (after["cover_status"] == "ok").all() and after["page_status"].isna().all()


@pytest.mark.slow
def test_every_fault_is_recorded_and_none_is_fatal(tmp_path):
    tags = ["chill", "electronic"]
    with DemoServer(albums_per_tag=12, faults=True, max_cover_px=64) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            client = Client(server.url, politeness=dataclasses.replace(QUICK, backoff=0.01))
            summary = scrape(corpus, tags, 12, client=client, progress=False)
            df = corpus.albums().set_index("url")
            kind = {a.url: server.fault_plan.get(a.item_id) for a in server.albums}
            by_kind: dict[str, list[str]] = {}
            for t in tags:
                for a in _first_albums(server, t, 12):
                    by_kind.setdefault(kind[a.url] or "none", []).append(a.url)
            for k in ("rate_limit", "unavailable", "challenge_once", "challenge_always", "none"):
                for url in by_kind[k]:
                    assert df.loc[url, "cover_status"] == "ok", (k, url)
            for url in by_kind["truncated_cover"]:
                assert df.loc[url, "cover_status"] == "failed" and "does not decode" in df.loc[url, "cover_reason"]
            for url in by_kind["missing_art"]:
                assert df.loc[url, "cover_status"] == "missing" and "no cover art" in df.loc[url, "cover_reason"]
            for url in by_kind["cover_404"]:
                assert df.loc[url, "cover_status"] == "missing" and "HTTP 404" in df.loc[url, "cover_reason"]
            dup = by_kind["duplicate_listing"]
            assert len(set(dup)) == 2 and all(u in df.index for u in dup)  # listed twice, stored once
            assert summary.discover_errors == [] and not summary.failed
            assert [r.tag for r in _posts(server)] == ["chill", "chill", "electronic", "electronic"]
            statuses = Counter(r.status for r in server.requests)
            assert statuses[429] == 2 and statuses[503] == 4 and statuses[404] == 2

            # album pages, opt-in: a page refused once is read on its second try, one refused always fails
            pages = scrape(corpus, tags, 12, client=client, album_pages=True, progress=False)
            after = corpus.albums().set_index("url")
            assert pages.page_stop is None
            for url in by_kind["challenge_once"] + by_kind["none"]:
                assert after.loc[url, "page_status"] == "ok" and after.loc[url, "tags"], url
            for url in by_kind["challenge_always"]:
                assert after.loc[url, "page_status"] == "failed" and "Client Challenge" in after.loc[url, "page_reason"]
            assert pages.pages["refused 3 times"] == 2
            truth = {a.url: a for a in server.albums}
            for url in by_kind["none"]:
                assert after.loc[url, "tags"] == truth[url].page_tags

            # palettes: every good cover gets one; a cover damaged on disk is marked failed, not fatal
            ok = after[after["cover_status"] == "ok"]
            broken = corpus.cover_path(ok["cover_file"].iloc[0])
            broken.write_bytes(broken.read_bytes()[:200])
            result = extract_palettes(corpus, n_jobs=1, progress=False)
            assert (result.done, result.failed) == (len(ok) - 1, 1)


def _jpeg(px: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (px, px), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _site(pages: dict, *, log_covers: list | None = None):
    """A fake Bandcamp: `pages` maps a request cursor to a discover answer (a dict, or a Reply); covers at /img/."""
    jpeg = _jpeg()

    def answer(method, path, body):
        if method == "POST":
            reply = pages.get(json.loads(body)["cursor"], (500, {}, b"{}"))
            return json_reply(reply) if isinstance(reply, dict) else reply
        if path.startswith("/img/"):
            return 200, {"Content-Type": "image/jpeg"}, jpeg
        return 404, {}, b"not here"

    return HostileServer(answer)


def test_hostile_discover_results_fail_alone_and_steer_nothing(tmp_path):
    bad = [
        discover_item(
            1, item_url="https://evil.example.com/album/x"
        ),  # a store's own domain: stored, its page never read
        discover_item(2, item_url="http://169.254.169.254/latest/meta-data/"),
        discover_item(3, item_url="http://127.0.0.1:1/admin"),
        *[discover_item(i, item_url=f"file:///etc/passwd{i}") for i in range(4, 9)],  # five file:// URLs in a row
        discover_item(9, title=["not", "a", "string"]),  # one unreadable field: stored without it
        discover_item(10, primary_image={"image_id": 10**30}),  # stored, cover missing with the reason
        "a string where a result should be",
        discover_item(11, item_type="t"),
    ]
    good = [discover_item(20), discover_item(21)]
    with _site({"*": {"results": bad + good, "cursor": None}}) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 50, base_url=server.url, **FAST)
            df = corpus.albums().set_index("item_id")
            assert sorted(df["store"]) == ["evil.example.com", "s10", "s20", "s21", "s9"]
            assert df.loc[1, "url"] == "https://evil.example.com/album/x" and df.loc[9, "title"] == ""
            assert (df.drop(index=10)["cover_status"] == "ok").all() and df.loc[10, "cover_status"] == "missing"
            assert "image_id" in df.loc[10, "cover_reason"] and "SQLite" in df.loc[10, "cover_reason"]
            failures = corpus.failures().set_index("item_id")
            assert sorted(failures.index) == list(range(2, 9))
            assert "item_url" in failures.loc[2, "reason"]
            assert summary.skipped_tracks == 1 and sum(summary.unusable.values()) == 1
            assert summary.new_failures == 7 and sum(summary.partial.values()) == 2
        covers = [p for _, p, _, _ in server.log if p.startswith("/img/")]
        assert sorted(covers) == [f"/img/a00000010{i:02d}_10.jpg" for i in (1, 9, 20, 21)]  # fetched in parallel
        assert not [p for _, p, _, _ in server.log if "/album/" in p]  # discover-only: no page, no own domain
        assert len(list((tmp_path / "c-covers").glob("*"))) == 4


def test_spellings_of_one_store_and_slug_are_one_album(tmp_path):
    items = [
        discover_item(1, item_url="https://café.bandcamp.com/album/crème"),
        discover_item(2, item_url="https://cafe\u0301.bandcamp.com/album/cre\u0300me"),
        discover_item(3, item_url="https://CAFÉ.bandcamp.com/album/CRÈME"),
    ]
    with _site({"*": {"results": items, "cursor": None}}) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 10, base_url=server.url, **FAST)
            df = corpus.albums()
            assert list(df["url"]) == ["https://café.bandcamp.com/album/crème"]
            assert summary.new == 1 and summary.already_had == 2


@pytest.mark.slow
def test_a_stale_cursor_restarts_the_tag_once_from_the_start_and_fetches_nothing_twice(tmp_path):
    with Corpus(tmp_path / "c.sqlite") as corpus:
        with DemoServer(albums_per_tag=30, max_cover_px=64) as first:
            scrape(corpus, ["punk"], 10, base_url=first.url, page_size=8, **FAST)
            stored = set(corpus.albums()["url"])
        with DemoServer(albums_per_tag=30, max_cover_px=64) as second:  # its cursors differ: the stored one is stale
            summary = scrape(corpus, ["punk"], 25, base_url=second.url, page_size=8, **FAST)
            posts = _posts(second)
            assert posts[0].status == 500 and json.loads(posts[1].body)["cursor"] == "*"
            assert any("listed again from the first page" in n for n in summary.notes)
            covers = [r.path for r in second.requests if r.path.startswith("/img/")]
            assert len(covers) == summary.new == 25 - len(stored)  # only the new albums' covers
        assert set(corpus.albums()["url"]) >= stored and len(corpus.albums()) == 25


def test_a_cursor_stale_again_after_the_restart_ends_the_tag_with_a_note(tmp_path):
    items = [discover_item(i) for i in range(1, 4)]
    with _site({"*": {"results": items, "cursor": "c1"}}) as server:  # 'c1' always answers 500 {}
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 10, base_url=server.url, **FAST)
            assert summary.new == 3 and any("again after a restart" in n for n in summary.notes)
        assert len([r for r in server.log if r[0] == "POST"]) == 4  # *, c1, *, c1


def test_a_repeating_cursor_ends_the_tag_with_a_note_never_a_loop(tmp_path):
    with _site(
        {
            "*": {"results": [discover_item(1)], "cursor": "same"},
            "same": {"results": [discover_item(1)], "cursor": "same"},
        }
    ) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, ["rock"], 100, base_url=server.url, **FAST)
            assert summary.new == 1 and any("repeated a cursor" in n for n in summary.notes)
        assert len([r for r in server.log if r[0] == "POST"]) == 2


def test_two_writers_of_one_cover_do_not_collide(tmp_path, monkeypatch):
    """Two scrapers on one corpus used the same '.part' name: one moved the file away under the other."""
    barrier = threading.Barrier(2, timeout=10)
    real_replace = os.replace

    def slow_replace(src, dst):
        barrier.wait()  # both writers have written their temporary file before either renames it
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", slow_replace)  # os.replace is what the cover writer calls
    with _site({}) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            corpus.covers_dir.mkdir()
            client = Client(server.url, politeness=Politeness(cover_rate=500))
            results, errors = [], []

            def write():
                try:
                    results.append(fetch_cover(corpus, client, 77, 10)[0])
                except Exception as exc:  # noqa: BLE001 - the failure under test
                    errors.append(exc)

            threads = [threading.Thread(target=write) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == [] and [c.status for c in results] == ["ok", "ok"]
            assert [p.name for p in corpus.covers_dir.iterdir()] == ["a0000000077_10.jpg"]


@pytest.mark.slow
def test_a_cover_missing_on_disk_is_fetched_again_by_the_next_scrape(tmp_path):
    with DemoServer(albums_per_tag=6, max_cover_px=64) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            scrape(corpus, ["ambient"], 6, base_url=server.url, **FAST)
            df = corpus.albums()
            gone = corpus.cover_path(df["cover_file"].iloc[2])
            data = gone.read_bytes()
            gone.unlink()
            _settle(server)
            n = len(server.requests)
            summary = scrape(corpus, ["ambient"], 6, base_url=server.url, **FAST)
            assert summary.refetched == Counter({"ok": 1}) and "fetched again: ok 1" in summary.report()
            assert gone.read_bytes() == data
            _settle(server)
            assert [r.path for r in server.requests[n:]] == [f"/img/{gone.name}"]
            assert corpus.albums()["cover_status"].eq("ok").all()


@pytest.mark.slow
def test_the_discover_api_refusing_stops_with_exit_3_and_keeps_everything(tmp_path, capsys):
    db = str(tmp_path / "c.sqlite")
    with DemoServer(albums_per_tag=5, max_cover_px=64) as server:
        assert (
            _run(
                capsys,
                "scrape",
                "--db",
                db,
                "--tag",
                "rock",
                "--albums-per-tag",
                "3",
                "--base-url",
                server.url,
                "--rate",
                "500",
                "--cover-rate",
                "500",
                "--no-progress",
            )[0]
            == 0
        )
    for reply in ((403, {}, b"Forbidden"), (200, {"Content-Type": "text/html"}, b"<title>Client Challenge</title>")):
        with HostileServer(lambda *_, r=reply: r) as refusing:
            code, out, err = _run(
                capsys,
                "scrape",
                "--db",
                db,
                "--tag",
                "rock",
                "--tag",
                "pop",
                "--albums-per-tag",
                "5",
                "--base-url",
                refusing.url,
                "--rate",
                "500",
                "--no-progress",
            )
        assert code == 3 and "Bandcamp refused" in err and "Everything stored so far is kept" in err
        assert "Traceback" not in err
        with Corpus(db) as corpus:
            assert len(corpus.albums()) == 3


@pytest.mark.slow
def test_cli_rejects_bad_input_with_clear_messages(tmp_path, capsys):
    with DemoServer(albums_per_tag=3) as server:
        base = ["scrape", "--db", str(tmp_path / "c.sqlite"), "--base-url", server.url, "--rate", "50", "--no-progress"]
        code, _, err = _run(capsys, *base, "--tag", "no-such-tag", "--albums-per-tag", "3")
        assert code == 2 and "no albums under tag 'no-such-tag'" in err
        code, _, err = _run(capsys, *base, "--tag", "Hip Hop", "--albums-per-tag", "3")
        assert code == 2 and "did you mean 'hip-hop'" in err
        for flag, value, message in [
            ("--albums-per-tag", "0", "must be a whole number from 1 to 10000000, got '0'"),
            ("--challenge-wait", "-1", "must be a number from 0 to 86400, got '-1'"),
            ("--challenge-wait", "nan", "must be a number from 0 to 86400, got 'nan'"),
            ("--backoff", "-1", "must be a number from 0 to 3600, got '-1'"),
            ("--backoff", "nan", "must be a number from 0 to 3600, got 'nan'"),
            ("--rate", "inf", "must be a number from 0.0001 to 10000, got 'inf'"),
            ("--cover-rate", "0", "must be a number from 0.0001 to 10000, got '0'"),
            ("--cover-rate", "fast", "must be a number from 0.0001 to 10000, got 'fast'"),
            ("--cover-connections", "0", "must be a whole number from 1 to 64, got '0'"),
            ("--max-refusals", "0", "must be a whole number from 1 to 10000, got '0'"),
        ]:
            argv = (
                [*base, "--tag", "rock", "--albums-per-tag", "1", flag, value]
                if flag != "--albums-per-tag"
                else [*base, "--tag", "rock", flag, value]
            )
            with pytest.raises(SystemExit) as exc:
                main(argv)
            err = capsys.readouterr().err
            assert exc.value.code == 2 and f"argument {flag}: {message}" in err, (flag, value, err)
        code, _, err = _run(capsys, *base, "--tag", "rock", "--albums-per-tag", "1", "--image-base-url", "ftp://x")
        assert code == 2 and "image base URL must be an http(s) URL" in err
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        code, _, err = _run(
            capsys,
            "scrape",
            "--db",
            str(blocker / "c.sqlite"),
            "--tag",
            "rock",
            "--albums-per-tag",
            "1",
            "--base-url",
            server.url,
        )
        assert code == 2 and str(blocker) in err
        newer = tmp_path / "newer.sqlite"
        Corpus(newer).close()
        con = sqlite3.connect(newer)
        con.execute("PRAGMA user_version = 99")
        con.commit()
        con.close()
        code, _, err = _run(
            capsys, "scrape", "--db", str(newer), "--tag", "rock", "--albums-per-tag", "1", "--base-url", server.url
        )
        assert code == 2 and "schema version 99" in err and "newer bcanalysis" in err
        code, _, err = _run(capsys, "palettes", "--db", str(tmp_path / "absent.sqlite"))
        assert code == 2 and "no corpus at" in err
        code, out, _ = _run(capsys, *base, "--cover-rate", "500", "--tag", "rock", "--albums-per-tag", "2")
        assert code == 0 and "albums: 2 new" in out
        code, out, _ = _run(capsys, "palettes", "--db", str(tmp_path / "c.sqlite"), "--no-progress", "--workers", "1")
        assert code == 0 and "palettes: 2 extracted" in out


def test_scrape_stops_with_a_resume_hint_when_the_image_host_goes_away(tmp_path, capsys):
    with DemoServer(albums_per_tag=8) as server:
        url = server.url
        with Corpus(tmp_path / "c.sqlite") as corpus:
            discover(corpus, Client(url, politeness=Politeness(rate=500)), "metal", 8)  # listings, no album stored yet
    code, _, err = _run(
        capsys,
        "scrape",
        "--db",
        str(tmp_path / "c.sqlite"),
        "--tag",
        "metal",
        "--albums-per-tag",
        "8",
        "--base-url",
        url,
        "--rate",
        "500",
        "--cover-rate",
        "500",
        "--backoff",
        "0",
        "--no-progress",
    )
    assert code == 1 and "stopped answering" in err and "rerun the same command to resume" in err


def _albums_in(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM albums").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_resume_after_sigkill_loses_nothing_duplicates_nothing_refetches_nothing(tmp_path):
    db = tmp_path / "c.sqlite"
    tags, albums_per_tag = ["rock", "pop"], 14
    with DemoServer(albums_per_tag=albums_per_tag, max_cover_px=400) as server:
        cmd = [
            sys.executable,
            "-m",
            "bcanalysis",
            "scrape",
            "--db",
            str(db),
            "--base-url",
            server.url,
            "--tag",
            tags[0],
            "--tag",
            tags[1],
            "--albums-per-tag",
            str(albums_per_tag),
            "--rate",
            "40",
            "--cover-rate",
            "20",
            "--cover-connections",
            "2",
            "--no-progress",
        ]
        kills = []
        for threshold in (4, 12):
            proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while _albums_in(db) < threshold and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert proc.poll() is None, proc.stderr.read().decode()
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            with Corpus(db) as corpus:
                stored = corpus.albums()
            on_disk = {p.name for p in (tmp_path / "c-covers").glob("*.jpg")}
            kills.append((len(server.requests), set(stored["art_id"]), on_disk))
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "albums:" in done.stdout
    expected = {a.url for t in tags for a in _first_albums(server, t, albums_per_tag)}
    with Corpus(db) as corpus:
        df = corpus.albums()
        assert corpus.query("PRAGMA integrity_check")[0][0] == "ok"
        assert corpus.listings(tags, status="pending", albums_per_tag=albums_per_tag) == []
    assert set(df["url"]) == expected and df["url"].is_unique and (df["cover_status"] == "ok").all()
    assert not list((tmp_path / "c-covers").glob("*.part"))
    for n_before, stored_art, covers_on_disk in kills:
        later = [r.path for r in server.requests[n_before:] if r.path.startswith("/img/")]
        refetched = [p for p in later if int(p.split("/a", 1)[1].split("_")[0]) in stored_art]
        assert refetched == [], f"covers of stored albums fetched again: {refetched}"
        recovered = [p for p in later if p.rsplit("/", 1)[-1] in covers_on_disk]
        assert recovered == [], f"covers downloaded again although on disk: {recovered}"
    covers = Counter(r.path for r in server.requests if r.path.startswith("/img/"))
    assert max(covers.values()) <= 2  # only a cover in flight at a kill is fetched twice


@pytest.mark.slow
def test_demo_command_scrapes_extracts_and_draws(tmp_path, capsys):
    code, out, _ = _run(
        capsys,
        "demo",
        "--out",
        str(tmp_path / "demo"),
        "--albums-per-tag",
        "3",
        "--cover-px",
        "80",
        "--workers",
        "1",
        "--no-progress",
    )
    assert code == 0
    assert (tmp_path / "demo" / "palettes_by_tag.png").stat().st_size > 10_000
    with Corpus(tmp_path / "demo" / "corpus.sqlite") as corpus:
        counts = corpus.counts()
    assert counts["albums"] >= 25 and counts["palettes"] == counts["cover_ok"] == counts["albums"]
    assert "palettes:" in out and "metal" in out


@pytest.mark.slow
def test_a_listing_that_ended_short_is_paged_again_when_it_has_grown(tmp_path):
    """First run: 5 albums a tag exist, limit 8 → the listing ends at 5. It grows to 9: a rerun reaches 8."""
    with Corpus(tmp_path / "c.sqlite") as corpus:
        with DemoServer(albums_per_tag=5, max_cover_px=64) as small:
            assert scrape(corpus, ["punk"], 8, base_url=small.url, page_size=3, **FAST).new == 5
            again = scrape(corpus, ["punk"], 8, base_url=small.url, page_size=3, **FAST)
            _settle(small)
            assert again.new == 0 and len([r for r in small.requests if r.path.startswith("/img/")]) == 5
        with DemoServer(albums_per_tag=9, max_cover_px=64) as grown:
            assert scrape(corpus, ["punk"], 8, base_url=grown.url, page_size=3, **FAST).new == 3
            _settle(grown)
            assert len([r for r in grown.requests if r.path.startswith("/img/")]) == 3  # only the new covers
        assert len(corpus.albums()) == 8


def test_a_schema_1_demo_corpus_is_finished_by_a_new_scrape(tmp_path):
    """A scrape interrupted under schema 1 left listings without discover data: they are listed again and done."""
    db = tmp_path / "c.sqlite"
    with DemoServer(albums_per_tag=6, max_cover_px=64) as server:
        with Corpus(db) as corpus:
            discover(corpus, Client(server.url, politeness=Politeness(rate=500)), "metal", 6)
            with corpus.transaction() as con:  # make the listings look like schema 1's
                con.execute("UPDATE listings SET url = NULL, item_url = 'http://127.0.0.1:1/s/' || item_id")
            summary = scrape(corpus, ["metal"], 6, base_url=server.url, **FAST)
            assert summary.new == 6 and len(corpus.albums()) == 6


# === Issue 20: unfinished cover files of killed scrapes ==========================================================
#
# A scrape killed mid-download (or stopped by a full disk) left its temporary cover file in the covers folder, for
# ever. Now each is written under a lock held until it is renamed into place, and a scrape removes, when it starts,
# the unfinished files nobody holds — never one a scrape still running is writing.

#: A child scrape held at the moment it renames a finished download into place (the cover's bytes are all in its
#: unfinished file): killed there (`kill`), or waiting there until its stdin closes (`wait`).
_HELD_SCRAPE = """
import os, signal, sys
from bcanalysis.bandcamp import Politeness
from bcanalysis.scrape import scrape
from bcanalysis.store import Corpus

how, url, db, tag = sys.argv[1:]
real = os.replace

def held(src, dst, *args, **kw):
    if str(src).endswith(".part"):
        print("holding", flush=True)
        if how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        sys.stdin.read()
    real(src, dst, *args, **kw)

os.replace = held
with Corpus(db) as corpus:
    one = Politeness(rate=500, cover_rate=500, cover_connections=1)
    print(scrape(corpus, [tag], 2, base_url=url, politeness=one, progress=False).new)
"""


@pytest.mark.slow
def test_unfinished_covers_of_a_killed_scrape_are_removed_by_the_next_and_a_live_ones_kept(tmp_path):
    db, covers = tmp_path / "c.sqlite", tmp_path / "c-covers"
    with DemoServer(albums_per_tag=4, max_cover_px=48) as server:
        live = held_child(_HELD_SCRAPE, "wait", server.url, db, "metal")  # a scrape writing a cover right now
        try:
            held = sorted(p.name for p in covers.glob("*.part"))
            # and one killed in the middle of a download
            killed = held_child(_HELD_SCRAPE, "kill", server.url, db, "ambient")
            killed.wait(timeout=60)
            assert killed.returncode == -signal.SIGKILL
            stale = sorted({p.name for p in covers.glob("*.part")} - set(held))
            assert len(held) == 1 and len(stale) == 1 and _albums_in(db) == 0
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bcanalysis",
                    "scrape",
                    "--db",
                    str(db),
                    "--tag",
                    "ambient",
                    "--albums-per-tag",
                    "2",
                    "--base-url",
                    server.url,
                    "--rate",
                    "100",
                    "--cover-rate",
                    "100",
                    "--no-progress",
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
            assert "removed 1 unfinished cover file" in result.stdout, result.stdout
            assert sorted(p.name for p in covers.glob("*.part")) == held  # the live download is not touched
            assert _albums_in(db) == 2
        finally:
            out, err = live.communicate("", timeout=60)
        assert live.returncode == 0 and out.split()[-1] == "2", err  # the live scrape finished its work
    assert _albums_in(db) == 4 and not list(covers.glob("*.part"))
    with Corpus(db) as corpus:
        assert (corpus.albums()["cover_status"] == "ok").all() and len(list(covers.glob("*.jpg"))) == 4
