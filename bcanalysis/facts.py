"""Bandcamp as it is today, in the few facts several layers share: the discover API's path, the genre ids discover
results carry, and the image size codes of the cover host.

They live here, below every layer, so the corpus (`store`, which names genre ids) and the offline server
(`demo.server`, which answers in Bandcamp's shapes) need not import the scraper that reads the site.
"""

from __future__ import annotations

#: The real site (the discover API and album pages; covers come from the image host, `bcanalysis.bandcamp`).
BANDCAMP_URL = "https://bandcamp.com"
#: Where the discover API answers (POST, JSON in and out), on bandcamp.com and on the offline demo server.
DISCOVER_PATH = "/api/discover/1/discover_web"

#: Bandcamp's genres as the discover API numbers them (`band_genre_id`): id → (tag slug, label). Public: the
#: discover page's genre menu (`data-blob` → appData.initialState.genres).
GENRES: dict[int, tuple[str, str]] = {
    1: ("acoustic", "acoustic"),
    2: ("alternative", "alternative"),
    3: ("ambient", "ambient"),
    4: ("blues", "blues"),
    5: ("classical", "classical"),
    6: ("comedy", "comedy"),
    7: ("country", "country"),
    9: ("devotional", "devotional"),
    10: ("electronic", "electronic"),
    11: ("experimental", "experimental"),
    12: ("folk", "folk"),
    13: ("funk", "funk"),
    14: ("hip-hop-rap", "hip-hop/rap"),
    15: ("jazz", "jazz"),
    16: ("kids", "kids"),
    17: ("latin", "latin"),
    18: ("metal", "metal"),
    19: ("pop", "pop"),
    20: ("punk", "punk"),
    21: ("r-b-soul", "r&b/soul"),
    22: ("reggae", "reggae"),
    23: ("rock", "rock"),
    24: ("soundtrack", "soundtrack"),
    25: ("spoken-word", "spoken word"),
    26: ("world", "world"),
    27: ("podcasts", "podcasts"),
    28: ("audiobooks", "audiobooks"),
}

#: The cover host's image size codes → edge length in pixels (`https://f4.bcbits.com/img/a<art_id>_<code>.jpg`):
#: 10 = 1200 px, 5 and 16 = 700, 4 = 300, 2 = 350, 9 = 210, 7 = 150, 8 = 124, 3 = 100; 0 is the original upload
#: (any size: the offline server paints it at 1400 px).
IMAGE_SIZES: dict[int, int] = {0: 1400, 2: 350, 3: 100, 4: 300, 5: 700, 7: 150, 8: 124, 9: 210, 10: 1200, 16: 700}


def genre_name(genre_id: int | None) -> str | None:
    """The tag slug of a Bandcamp genre id ('hip-hop-rap' for 14), None for None or an id not in `GENRES`."""
    return GENRES.get(genre_id, (None,))[0] if genre_id is not None else None
