"""Scraping the demo server end to end: every fault, resume after SIGKILL, palettes, the CLI's errors, `demo`."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bcanalysis.bandcamp import Client
from bcanalysis.cli import main
from bcanalysis.demo import DemoServer
from bcanalysis.palette import extract_palettes
from bcanalysis.scrape import scrape
from bcanalysis.store import Corpus

REPO = Path(__file__).resolve().parents[1]
FAST = {"rate": 500, "challenge_wait": 0.05, "progress": False}


def _pages(server: DemoServer) -> list:
    return [r for r in server.requests if r.path.startswith("/s/")]


def _page_path(album) -> str:
    return f"/s/{album.store}/album/{album.slug}?from=discover_page"


def _cross_listed_pair(server: DemoServer, limit: int) -> tuple[str, str]:
    """Two tags whose first `limit` listings share an album."""
    for album in server.albums:
        if len(album.listed_under) == 2:
            t1, t2 = album.listed_under
            if all(album in server.listings[t][:limit] for t in (t1, t2)):
                return t1, t2
    raise AssertionError("no cross-listed album in the first listings")


def test_clean_scrape_stores_each_album_once_with_all_its_tags_and_a_rerun_fetches_nothing(tmp_path):
    with DemoServer(albums_per_tag=40, max_cover_px=96) as server:
        tags = list(_cross_listed_pair(server, 40))
        with Corpus(tmp_path / "c.sqlite") as corpus:
            summary = scrape(corpus, tags, 40, base_url=server.url, page_size=15, **FAST)
            expected = {a.url for t in tags for a in server.listings[t][:40]}
            df = corpus.albums()
            assert summary.new == len(expected) == len(df) and summary.already_had == 80 - len(expected) > 0
            assert set(df["url"]) == expected and df["url"].is_unique
            both = df[df["found_under"].map(len) == 2]
            assert len(both) == 80 - len(expected) and all(sorted(f) == sorted(tags) for f in both["found_under"])
            assert (df["cover_status"] == "ok").all() and (df["cover_width"] == 96).all()
            truth = {a.url: a for a in server.albums}
            for row in df.itertuples():
                a = truth[row.url]
                assert (row.title, row.artist, row.store, row.album, row.tags, row.art_id) == (
                    a.title, a.artist, a.store, a.slug, list(a.tags), a.art_id)
                assert row.release_date.date() == a.release_date
            assert max(Counter(r.path for r in _pages(server)).values()) == 1
            n = len(server.requests)
            again = scrape(corpus, tags, 40, base_url=server.url, **FAST)
            assert again.new == 0 and again.already_had == 0 and len(server.requests) == n  # nothing refetched


def test_every_fault_is_recorded_and_none_is_fatal(tmp_path):
    tags = ["chill", "electronic"]
    with DemoServer(albums_per_tag=12, faults=True, max_cover_px=64) as server:
        with Corpus(tmp_path / "c.sqlite") as corpus:
            client = Client(server.url, rate=500, backoff=0.01)
            summary = scrape(corpus, tags, 12, client=client, **FAST)
            df = corpus.albums().set_index("url")
            kind = {a.url: server.fault_plan.get(a.item_id) for a in server.albums}
            by_kind: dict[str, list[str]] = {}
            for t in tags:
                for a in server.listings[t][:12]:
                    by_kind.setdefault(kind[a.url] or "none", []).append(a.url)
            for url in by_kind["rate_limit"] + by_kind["unavailable"] + by_kind["challenge_once"] + by_kind["none"]:
                assert df.loc[url, "cover_status"] == "ok", url
            for url in by_kind["challenge_always"]:
                assert url not in df.index
            failures = corpus.failures()
            assert len(failures) == len(by_kind["challenge_always"]) == 2
            assert (failures["attempts"] == 3).all() and failures["reason"].str.contains("challenge").all()
            assert summary.failed == Counter({"challenge page (no album data) 3 times": 2})
            for url in by_kind["truncated_cover"]:
                assert df.loc[url, "cover_status"] == "failed" and "truncated" in df.loc[url, "cover_reason"]
            for url in by_kind["missing_art"]:
                assert df.loc[url, "cover_status"] == "missing" and "no cover art" in df.loc[url, "cover_reason"]
            for url in by_kind["cover_404"]:
                assert df.loc[url, "cover_status"] == "missing" and "HTTP 404" in df.loc[url, "cover_reason"]
            dup = by_kind["duplicate_listing"]
            assert len(set(dup)) == 2 and all(url in df.index for url in dup)  # listed twice, stored once
            assert summary.discover_errors == []  # the API error object and malformed JSON were retried
            discover = [r for r in server.requests if r.method == "POST"]
            assert [r.tag for r in discover] == ["chill", "chill", "electronic", "electronic"]
            statuses = Counter(r.status for r in server.requests)
            assert statuses[429] == 2 and statuses[503] == 4 and statuses[404] == 2

            # palettes: every good cover gets one; a cover damaged on disk is marked failed, not fatal
            ok = df[df["cover_status"] == "ok"]
            broken = corpus.cover_path(ok["cover_file"].iloc[0])
            broken.write_bytes(broken.read_bytes()[:200])
            result = extract_palettes(corpus, workers=1, progress=False)
            assert (result.done, result.failed) == (len(ok) - 1, 1)
            after = corpus.albums().set_index("url")
            assert after.loc[ok.index[0], "cover_status"] == "failed"
            assert "palette extraction failed" in after.loc[ok.index[0], "cover_reason"]
            good = after[after["cover_status"] == "ok"]
            assert good["colorgram"].map(len).between(1, 40).all() and good["colorgram"].notna().all()
            assert extract_palettes(corpus, progress=False).done == 0  # resumable: nothing left to do


def _albums_in(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM albums").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def test_resume_after_sigkill_loses_nothing_duplicates_nothing_refetches_nothing(tmp_path):
    db = tmp_path / "c.sqlite"
    tags, limit = ["rock", "pop"], 14
    with DemoServer(albums_per_tag=limit, max_cover_px=400) as server:
        cmd = [sys.executable, "-m", "bcanalysis", "scrape", "--db", str(db), "--base-url", server.url,
               "--tag", tags[0], "--tag", tags[1], "--limit", str(limit), "--rate", "40", "--no-progress"]
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
            kills.append((len(server.requests), set(stored["item_url"]), on_disk))
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "albums:" in done.stdout
    expected = {a.url for t in tags for a in server.listings[t][:limit]}
    with Corpus(db) as corpus:
        df = corpus.albums()
        assert corpus.query("PRAGMA integrity_check")[0][0] == "ok"
        assert corpus.listings(tags, status="pending", limit=limit) == []
    assert set(df["url"]) == expected and df["url"].is_unique and (df["cover_status"] == "ok").all()
    for n_before, stored_items, covers_on_disk in kills:
        later = server.requests[n_before:]
        stored_paths = {u.split("://", 1)[1].split("/", 1)[1] for u in stored_items}
        refetched = [r.path for r in later if r.path.lstrip("/") in stored_paths]
        assert refetched == [], f"album pages fetched again after they were stored: {refetched}"
        recovered = [r.path for r in later if r.path.rsplit("/", 1)[-1] in covers_on_disk]
        assert recovered == [], f"covers downloaded again although on disk: {recovered}"
    pages = Counter(r.path for r in server.requests if r.path.startswith("/s/"))
    assert max(pages.values()) <= 2  # only a page in flight at a kill is fetched twice
    assert sum(pages.values()) <= len(expected) + 2


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_rejects_bad_input_with_clear_messages(tmp_path, capsys):
    with DemoServer(albums_per_tag=3) as server:
        base = ["scrape", "--db", str(tmp_path / "c.sqlite"), "--base-url", server.url, "--rate", "50", "--no-progress"]
        code, out = _run(capsys, *base, "--tag", "no-such-tag", "--limit", "3")
        assert code == 2 and "no albums under tag 'no-such-tag'" in out
        code, out = _run(capsys, *base, "--tag", "Hip Hop", "--limit", "3")
        assert code == 2 and "did you mean 'hip-hop'" in out
        with pytest.raises(SystemExit) as exc:
            main([*base, "--tag", "rock", "--limit", "0"])
        assert exc.value.code == 2 and "must be a positive integer, got 0" in capsys.readouterr().err
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        code, out = _run(capsys, "scrape", "--db", str(blocker / "c.sqlite"), "--tag", "rock", "--limit", "1",
                         "--base-url", server.url)
        assert code == 2 and str(blocker) in out and "error" in out
        newer = tmp_path / "newer.sqlite"
        Corpus(newer).close()
        con = sqlite3.connect(newer)
        con.execute("PRAGMA user_version = 99")
        con.commit()
        con.close()
        code, out = _run(capsys, "scrape", "--db", str(newer), "--tag", "rock", "--limit", "1", "--base-url",
                         server.url)
        assert code == 2 and "schema version 99" in out and "newer bcanalysis" in out
        code, out = _run(capsys, "palettes", "--db", str(newer))
        assert code == 2 and "schema version 99" in out
        code, out = _run(capsys, "palettes", "--db", str(tmp_path / "absent.sqlite"))
        assert code == 2 and "no corpus at" in out
        code, out = _run(capsys, *base, "--tag", "rock", "--limit", "2")
        assert code == 0 and "albums: 2 new" in out
        code, out = _run(capsys, "palettes", "--db", str(tmp_path / "c.sqlite"), "--no-progress", "--workers", "1")
        assert code == 0 and "palettes: 2 extracted" in out


def test_scrape_stops_with_a_resume_hint_when_the_source_goes_away(tmp_path, capsys):
    with DemoServer(albums_per_tag=8) as server:
        url = server.url
        with Corpus(tmp_path / "c.sqlite") as corpus:
            scrape(corpus, ["metal"], 1, base_url=url, **FAST)  # discover once so listings exist
            corpus.record_listings("metal", [], None, True)
    code, out = _run(capsys, "scrape", "--db", str(tmp_path / "c.sqlite"), "--tag", "metal", "--limit", "8",
                     "--base-url", url, "--rate", "500", "--backoff", "0", "--no-progress")
    assert code == 1 and "stopped answering" in out and "rerun the same command to resume" in out


def test_demo_command_scrapes_extracts_and_draws(tmp_path, capsys):
    code, out = _run(capsys, "demo", "--out", str(tmp_path / "demo"), "--albums-per-tag", "3", "--cover-px", "80",
                     "--workers", "1", "--no-progress")
    assert code == 0
    assert (tmp_path / "demo" / "palettes_by_tag.png").stat().st_size > 10_000
    with Corpus(tmp_path / "demo" / "corpus.sqlite") as corpus:
        counts = corpus.counts()
    assert counts["albums"] >= 25 and counts["palettes"] == counts["cover_ok"] == counts["albums"]
    assert "palettes:" in out and "metal" in out


def test_listings_stored_by_an_earlier_demo_server_follow_it_to_its_new_port(tmp_path):
    """The demo server takes a new port each run: pending listings saved under the old port must still resolve."""
    from bcanalysis.scrape import discover

    with Corpus(tmp_path / "c.sqlite") as corpus:
        with DemoServer(albums_per_tag=6, max_cover_px=64) as first:
            discover(corpus, Client(first.url, rate=500), "metal", 6)
            old_port = first.port
        with DemoServer(albums_per_tag=6, max_cover_px=64) as second:
            assert second.port != old_port
            summary = scrape(corpus, ["metal"], 6, base_url=second.url, **FAST)
            assert summary.new == 6 and not summary.failed
            assert len(_pages(second)) == 6  # every album page came from the running server
        assert len(corpus.albums()) == 6


def test_rebase_local_moves_only_loopback_urls():
    from bcanalysis.bandcamp import rebase_local

    assert rebase_local("http://127.0.0.1:4000/s/x/album/y?from=d", "http://127.0.0.1:5000") == (
        "http://127.0.0.1:5000/s/x/album/y?from=d")
    assert rebase_local("http://localhost:4000/a", "http://127.0.0.1:5000") == "http://127.0.0.1:5000/a"
    real = "https://label.bandcamp.com/album/y?from=discover_page"
    assert rebase_local(real, "https://bandcamp.com") == real
    assert rebase_local(real, "http://127.0.0.1:5000") == real


def test_a_listing_that_ended_short_is_paged_again_when_it_has_grown(tmp_path):
    """First run: 5 albums a tag exist, limit 8 → the listing ends at 5. It grows to 9: a rerun reaches 8."""
    with Corpus(tmp_path / "c.sqlite") as corpus:
        with DemoServer(albums_per_tag=5, max_cover_px=64) as small:
            assert scrape(corpus, ["punk"], 8, base_url=small.url, page_size=3, **FAST).new == 5
            again = scrape(corpus, ["punk"], 8, base_url=small.url, page_size=3, **FAST)
            assert again.new == 0 and len(_pages(small)) == 5  # re-listed once, nothing refetched
        with DemoServer(albums_per_tag=9, max_cover_px=64) as grown:
            assert scrape(corpus, ["punk"], 8, base_url=grown.url, page_size=3, **FAST).new == 3
            assert len(_pages(grown)) == 3  # only the new albums' pages
        assert len(corpus.albums()) == 8
