"""The demo catalogue (deterministic, genre-structured ground truth), its painted covers and its server's shapes."""

from __future__ import annotations

import io

import numpy as np
import pytest
import requests
from PIL import Image

from bcanalysis import demo
from bcanalysis.bandcamp.client import discover_body
from bcanalysis.demo import DRIFT, TAG_THEMES, TAGS, THEMES, DemoServer, catalogue, cover_jpeg, genre_truth
from bcanalysis.palette import extract


def test_catalogue_is_deterministic_in_its_seed():
    a = catalogue(6, 0)
    catalogue.cache_clear()  # drawn again, not handed back from the cache
    b, c = catalogue(6, 0), catalogue(6, 1)
    assert a == b and a is not b
    assert [x.title for x in a] != [x.title for x in c]
    with pytest.raises(ValueError, match="got 0"):
        catalogue(0)


def test_catalogue_has_ten_genres_with_their_own_theme_mixtures_and_spread_dates():
    albums = catalogue(20, 0)
    assert TAGS == (
        "chill",
        "electronic",
        "alternative",
        "hip-hop-rap",
        "pop",
        "rock",
        "experimental",
        "ambient",
        "metal",
        "punk",
    )
    assert {t: sum(a.tag == t for a in albums) for t in TAGS} == dict.fromkeys(TAGS, 20)
    for album in albums:
        drift = {DRIFT[album.tag][0]} if album.tag in DRIFT else set()  # the planted trend's theme
        assert set(album.mixture) <= set(TAG_THEMES[album.tag]) | drift
        assert abs(sum(album.mixture.values()) - 1) < 1e-3
        assert album.tags[0] == album.tag and set(album.listed_under) <= set(album.tags)
    assert len({a.item_id for a in albums}) == len({a.art_id for a in albums}) == len({a.url for a in albums}) == 200
    assert any(len(a.listed_under) == 2 for a in albums)  # cross-listed albums exist
    years = {a.release_date.year for a in albums}
    assert min(years) <= 2010 and max(years) >= 2022 and len(years) >= 12
    for themes in TAG_THEMES.values():
        assert set(themes) <= set(THEMES) and abs(sum(themes.values()) - 1) < 1e-9
    truth = genre_truth(albums)
    assert next(iter(truth["metal"])) == "blood" and next(iter(truth["punk"])) == "zine"


def test_covers_are_deterministic_jpegs_whose_main_colours_come_from_the_planted_themes():
    album = catalogue(5, 0)[3]
    data = cover_jpeg(album, 160)
    assert data == cover_jpeg.__wrapped__(album, 160) and data[:2] == b"\xff\xd8"
    image = Image.open(io.BytesIO(data))
    assert image.size == (160, 160) and image.format == "JPEG"
    planted = np.array([rgb for rgb, _ in album.palette()], dtype=float)
    colors = extract(image, 40)
    top = [c for c in colors if c.proportion >= 0.05]
    weight_near = sum(c.proportion for c in top if np.min(np.linalg.norm(planted - c.rgb, axis=1)) < 60)
    assert weight_near >= 0.8 * sum(c.proportion for c in top)


@pytest.mark.slow
def test_server_serves_every_listing_once_across_pages_and_covers_at_any_size_code():
    with DemoServer(albums_per_tag=7, max_cover_px=64) as server:
        seen, cursor = [], None
        while True:
            body = {"tag_norm_names": ["ambient"], "size": 3, "slice": "top", "include_result_types": ["a"]}
            if cursor:
                body["cursor"] = cursor
            page = requests.post(server.url + "/api/discover/1/discover_web", json=body, timeout=5).json()
            seen += [r["item_id"] for r in page["results"]]
            cursor = page["cursor"]
            if cursor is None:
                break
        assert seen == [a.item_id for a in server.results["ambient"]] and len(set(seen)) == len(seen)
        album = server.listings["ambient"][0]
        for code, px in ((10, 64), (2, 64), (3, 64)):
            r = requests.get(f"{server.url}/img/a{album.art_id:010d}_{code}.jpg", timeout=5)
            assert r.status_code == 200 and Image.open(io.BytesIO(r.content)).size == (px, px)
        assert requests.get(f"{server.url}/img/a{album.art_id}_11.jpg", timeout=5).status_code == 404
        page = requests.get(f"{server.url}/s/{album.store}/album/{album.slug}", timeout=5)
        assert page.status_code == 200 and album.url in page.text and 'type="application/ld+json"' in page.text
        assert requests.get(f"{server.url}/s/{album.store}/album/nope", timeout=5).status_code == 404
    with DemoServer(albums_per_tag=2) as server:
        album = server.albums[0]
        r = requests.get(f"{server.url}/img/a{album.art_id:010d}_3.jpg", timeout=5)
        assert Image.open(io.BytesIO(r.content)).size == (100, 100)  # code 3 is 100 px on Bandcamp


def test_fault_plan_covers_every_kind_in_every_tag_and_lists_the_duplicate_twice():
    with DemoServer(albums_per_tag=12, faults=True) as server:
        for tag in TAGS:
            kinds = [server.fault_plan.get(a.item_id) for a in server.listings[tag] if a.tag == tag]
            assert set(demo.ALBUM_FAULTS) <= set(kinds)
            ids = [a.item_id for a in server.listings[tag]]
            dup = next(
                a.item_id
                for a in server.listings[tag]
                if server.fault_plan.get(a.item_id) == "duplicate_listing" and a.tag == tag
            )
            assert ids.count(dup) == 2


def _discover(server, tag, cursor="*", size=60):
    """POST the body `Client.discover` sends (the path spelled out: this pins `DISCOVER_PATH` to Bandcamp's)."""
    body = discover_body(tag, cursor, size)
    return requests.post(server.url + "/api/discover/1/discover_web", json=body, timeout=5)


@pytest.mark.slow
def test_discover_results_have_todays_shapes_with_tracks_places_genres_and_labels():
    with DemoServer(albums_per_tag=30, max_cover_px=64) as server:
        results = _discover(server, "metal").json()["results"]
        kinds = {r["item_type"] for r in results}
        assert kinds == {"a", "t"}  # single tracks are mixed in, as result_type "a" includes them on Bandcamp
        truth = {a.item_id: a for a in [*server.albums, *server.tracks.values()]}
        for r in results:
            a = truth[r["item_id"]]
            kind = "album" if r["item_type"] == "a" else "track"
            assert r["item_url"] == f"https://{a.store}.bandcamp.com/{kind}/{a.slug}?from=discover_page"
            assert r["band_location"] == a.location and ", " in r["band_location"]
            assert r["band_genre_id"] == a.genre_id and r["primary_image"]["image_id"] == a.art_id
            assert r["release_date"].endswith(" UTC") and r["release_date"][:10] == a.release_date.isoformat()
            artist = r["album_artist"] or r["band_name"]
            assert artist == a.artist and "label_name" not in r  # real answers of 2026 carry no label field
            assert r["band_name"] == (a.label if a.on_label_page else a.artist)  # a label shows as the store
        assert any(r["album_artist"] for r in results)
        assert any(
            r["band_genre_id"] is None
            for r in _discover(server, "rock").json()["results"] + _discover(server, "pop").json()["results"]
        )
        album = server.listings["metal"][0]
        r = requests.get(f"{server.url}/img/a{album.art_id:010d}_7.jpg", timeout=5)
        assert Image.open(io.BytesIO(r.content)).size == (64, 64)
    with DemoServer(albums_per_tag=2) as server:
        r = requests.get(f"{server.url}/img/a{server.albums[0].art_id:010d}_7.jpg", timeout=5)
        assert Image.open(io.BytesIO(r.content)).size == (150, 150)  # code 7 is 150 px on Bandcamp
        track = next(iter(server.tracks.values()), None)
        if track is not None:
            page = requests.get(f"{server.url}/s/{track.store}/track/{track.slug}", timeout=5)
            assert page.status_code == 200 and track.url in page.text


@pytest.mark.slow
def test_cursors_are_opaque_and_go_stale_when_the_server_restarts():
    with DemoServer(albums_per_tag=10) as first:
        answer = _discover(first, "rock", size=4).json()
        cursor = answer["cursor"]
        assert "offset" not in cursor and not cursor.isdigit()
        assert _discover(first, "rock", cursor, size=4).status_code == 200
        assert _discover(first, "pop", cursor, size=4).status_code == 500  # another tag's cursor
    with DemoServer(albums_per_tag=10) as second:
        stale = _discover(second, "rock", cursor, size=4)
        assert stale.status_code == 500 and stale.content == b"{}"
        assert _discover(second, "rock", "garbage!", size=4).status_code == 500


@pytest.mark.slow
def test_every_album_page_can_be_a_challenge():
    with DemoServer(albums_per_tag=3, challenge_pages=True) as server:
        album = server.albums[0]
        page = requests.get(f"{server.url}/s/{album.store}/album/{album.slug}", timeout=5)
        assert page.status_code == 200 and "<title>Client Challenge</title>" in page.text and "/_fs-ch-" in page.text
        assert requests.get(f"{server.url}/img/a{album.art_id:010d}_10.jpg", timeout=5).status_code == 200
