"""A deterministic synthetic Bandcamp catalogue with known colour structure: the ground truth for topic recovery.

Each of the analysis's ten genre tags mixes a few colour themes (`TAG_THEMES`); each album draws its own theme
mixture from a Dirichlet around its genre's, and its cover is painted from that mixture (`covers.paint`). Everything
follows from `random_state`, so the same arguments give the same albums, names, dates and pixels on every machine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from bcanalysis.defaults import ALBUMS_PER_TAG, RANDOM_STATE, TAGS

RGB = tuple[int, int, int]


#: Colour themes: name → [(rgb, weight)], weights summing to 1. The planted "topics" of the demo corpus.
THEMES: dict[str, list[tuple[RGB, float]]] = {
    "neon-night": [((12, 10, 40), 0.45), ((255, 0, 170), 0.25), ((0, 230, 255), 0.2), ((140, 0, 255), 0.1)],
    "pastel-dream": [((255, 209, 220), 0.35), ((204, 229, 255), 0.3), ((221, 255, 221), 0.2), ((255, 250, 205), 0.15)],
    "earth": [((101, 67, 33), 0.35), ((160, 120, 70), 0.3), ((85, 107, 47), 0.2), ((222, 200, 160), 0.15)],
    "ocean": [((0, 51, 102), 0.4), ((0, 119, 182), 0.3), ((72, 202, 228), 0.2), ((240, 248, 255), 0.1)],
    "sunset": [((255, 94, 77), 0.3), ((255, 154, 0), 0.3), ((255, 206, 84), 0.2), ((94, 40, 110), 0.2)],
    "forest": [((20, 60, 30), 0.4), ((46, 125, 50), 0.3), ((139, 195, 74), 0.2), ((60, 40, 20), 0.1)],
    "monochrome": [((0, 0, 0), 0.4), ((255, 255, 255), 0.3), ((128, 128, 128), 0.2), ((60, 60, 60), 0.1)],
    "blood": [((10, 0, 0), 0.5), ((140, 0, 0), 0.3), ((220, 20, 20), 0.15), ((90, 90, 90), 0.05)],
    "zine": [((255, 235, 0), 0.35), ((0, 0, 0), 0.3), ((255, 20, 147), 0.25), ((255, 255, 255), 0.1)],
    "ice": [((225, 245, 254), 0.4), ((179, 229, 252), 0.3), ((144, 164, 174), 0.2), ((38, 50, 56), 0.1)],
    "desert": [((237, 201, 175), 0.4), ((210, 150, 90), 0.3), ((180, 90, 50), 0.2), ((90, 150, 200), 0.1)],
    "vaporwave": [((255, 113, 206), 0.3), ((1, 205, 254), 0.3), ((185, 103, 255), 0.25), ((5, 255, 161), 0.15)],
    "bubblegum": [((255, 105, 180), 0.4), ((255, 182, 193), 0.3), ((255, 255, 255), 0.2), ((135, 206, 250), 0.1)],
    "rust": [((183, 65, 14), 0.4), ((120, 40, 10), 0.3), ((230, 140, 60), 0.2), ((40, 30, 25), 0.1)],
    "midnight": [((10, 15, 45), 0.5), ((25, 35, 90), 0.3), ((200, 200, 230), 0.1), ((70, 80, 140), 0.1)],
    "gold": [((20, 20, 20), 0.4), ((212, 175, 55), 0.35), ((255, 223, 120), 0.15), ((120, 90, 20), 0.1)],
    "grunge": [((85, 80, 60), 0.35), ((130, 120, 95), 0.3), ((50, 45, 40), 0.2), ((170, 160, 130), 0.15)],
    "circuit": [((0, 40, 30), 0.4), ((0, 255, 128), 0.25), ((0, 150, 110), 0.2), ((200, 255, 230), 0.15)],
}

#: Each genre's mixture over themes (weights sum to 1): the planted genre ↔ topic link.
TAG_THEMES: dict[str, dict[str, float]] = {
    "chill": {"pastel-dream": 0.35, "ocean": 0.25, "sunset": 0.25, "vaporwave": 0.15},
    "electronic": {"neon-night": 0.4, "circuit": 0.3, "vaporwave": 0.15, "midnight": 0.15},
    "alternative": {"grunge": 0.35, "rust": 0.25, "earth": 0.25, "sunset": 0.15},
    "hip-hop-rap": {"gold": 0.45, "midnight": 0.25, "monochrome": 0.2, "bubblegum": 0.1},
    "pop": {"bubblegum": 0.45, "pastel-dream": 0.25, "sunset": 0.2, "neon-night": 0.1},
    "rock": {"rust": 0.35, "monochrome": 0.3, "grunge": 0.2, "blood": 0.15},
    "experimental": {"ice": 0.25, "desert": 0.25, "circuit": 0.2, "monochrome": 0.15, "forest": 0.15},
    "ambient": {"ice": 0.35, "ocean": 0.25, "forest": 0.25, "pastel-dream": 0.15},
    "metal": {"blood": 0.55, "monochrome": 0.3, "midnight": 0.15},
    "punk": {"zine": 0.55, "monochrome": 0.25, "rust": 0.2},
}

#: Extra page tags per genre (Bandcamp pages carry sub-genres and a place beside the main tag).
SUBTAGS: dict[str, tuple[str, ...]] = {
    "chill": ("lo-fi", "chillwave", "downtempo", "beats"),
    "electronic": ("techno", "house", "synthwave", "idm"),
    "alternative": ("indie", "shoegaze", "post-rock", "dream pop"),
    "hip-hop-rap": ("rap", "boom bap", "trap", "instrumental hip-hop"),
    "pop": ("synthpop", "indie pop", "bedroom pop", "k-pop"),
    "rock": ("garage rock", "stoner", "psych rock", "indie rock"),
    "experimental": ("noise", "drone", "field recordings", "musique concrète"),
    "ambient": ("drone", "new age", "dark ambient", "soundscape"),
    "metal": ("black metal", "doom", "death metal", "sludge"),
    "punk": ("hardcore", "post-punk", "oi!", "crust"),
}
PLACES = ("Oslo", "Berlin", "Glasgow", "Portland", "Montréal", "Osaka", "Lagos", "São Paulo", "Melbourne", "Detroit")
#: Where each place is, as Bandcamp's band_location and the page's foundingLocation write it.
COUNTRIES = dict(
    zip(
        PLACES,
        ("Norway", "Germany", "UK", "Oregon", "Québec", "Japan", "Nigeria", "Brazil", "Australia", "Michigan"),
        strict=True,
    )
)
#: The country of each place as album pages' keywords spell it in full ("United Kingdom" where the location says
#: "UK"); None where the location names a state or province rather than a country.
COUNTRY_NAMES = {
    "Norway": "Norway",
    "Germany": "Germany",
    "UK": "United Kingdom",
    "Japan": "Japan",
    "Nigeria": "Nigeria",
    "Brazil": "Brazil",
    "Australia": "Australia",
}
#: Bandcamp genre id (band_genre_id) of each demo tag's artists; see bcanalysis.facts.GENRES.
TAG_GENRE_IDS = {
    "chill": 3,
    "electronic": 10,
    "alternative": 2,
    "hip-hop-rap": 14,
    "pop": 19,
    "rock": 23,
    "experimental": 11,
    "ambient": 3,
    "metal": 18,
    "punk": 20,
}
LABELS = ("Night Harbour Records", "Static Bloom", "Paper Lantern Tapes", "Velvet Orbit", "Salt & Wire")

_SYLLABLES = ("ka", "lo", "mi", "ra", "sun", "vel", "dor", "an", "ix", "ou", "tem", "bra", "zel", "no", "fa", "qui")
_WORDS = (
    "night",
    "glass",
    "river",
    "static",
    "velvet",
    "echo",
    "ghost",
    "summer",
    "concrete",
    "bloom",
    "signal",
    "dust",
    "neon",
    "harbour",
    "winter",
    "fever",
    "orbit",
    "salt",
    "mirror",
    "honey",
    "thunder",
    "paper",
    "lantern",
    "wire",
)
#: Share of albums also tagged (and listed) under a second main tag, and without any cover art.
CROSS_LISTED = 0.12
FIRST_YEAR, LAST_YEAR = 2008, 2024

#: The planted trend over time: tag → (theme, share in LAST_YEAR). That genre's covers take on the theme linearly
#: from none in FIRST_YEAR, so ambient darkens towards "midnight" while every other genre stays put (the control).
DRIFT: dict[str, tuple[str, float]] = {"ambient": ("midnight", 0.7)}


@dataclass(frozen=True)
class Album:
    """One synthetic album and its ground truth: the theme mixture its cover was painted from."""

    index: int
    item_id: int
    art_id: int
    store: str
    slug: str
    title: str
    artist: str
    tag: str  # the primary genre tag
    tags: tuple[str, ...]  # page tags, primary first
    listed_under: tuple[str, ...]  # main tags whose discover results list it
    release_date: dt.date
    mixture: dict[str, float] = field(hash=False)  # theme → share of the cover, sums to 1
    zero_width_title: bool = False  # the page title carries a U+200B, as some real ones do
    item_type: str = "a"  # "a" album, "t" a single track (discover results mix them in)

    @property
    def kind(self) -> str:
        return "album" if self.item_type == "a" else "track"

    @property
    def url(self) -> str:
        """The canonical Bandcamp URL the album page declares."""
        return f"https://{self.store}.bandcamp.com/{self.kind}/{self.slug}"

    @property
    def place(self) -> str:
        """The city of the artist, the last of the page's keywords."""
        return self.tags[-1]

    @property
    def location(self) -> str:
        """Where the artist is, as Bandcamp writes it ('Oslo, Norway')."""
        return f"{self.place}, {COUNTRIES[self.place]}"

    @property
    def page_tags(self) -> list[str]:
        """The tags a scraper should keep from the page: lower-cased, de-duplicated, without the place."""
        return list(dict.fromkeys(t.lower() for t in self.tags[:-1]))

    @property
    def genre_id(self) -> int | None:
        """The artist's Bandcamp genre id; one album in twenty has none, as on Bandcamp."""
        return None if self.item_id % 20 == 3 else TAG_GENRE_IDS[self.tag]

    @property
    def label(self) -> str | None:
        """The label it is released on (one in seven), else None."""
        return LABELS[self.item_id % len(LABELS)] if self.item_id % 7 == 0 else None

    @property
    def on_label_page(self) -> bool:
        """Sold from the label's page: discover then names the label as band_name and the artist as album_artist."""
        return self.label is not None and self.item_id % 2 == 0

    @property
    def store_label(self) -> str | None:
        """The label as the discover API shows it: only for an album sold from the label's store (real answers
        carry no label field; a label shows as `band_name` beside a different `album_artist`)."""
        return self.label if self.on_label_page else None

    @property
    def own_domain(self) -> bool:
        """Its store lives on its own domain (one album in thirteen), when the demo server plays custom domains."""
        return self.item_type == "a" and self.item_id % 13 == 4

    @property
    def country_name(self) -> str | None:
        """The country in full, as some pages' keywords carry it mid-list and again last ("United Kingdom")."""
        return COUNTRY_NAMES.get(COUNTRIES[self.place])

    def palette(self) -> list[tuple[RGB, float]]:
        """The planted palette: every theme colour weighted by theme share × colour weight, largest first."""
        weights: dict[RGB, float] = {}
        for theme, share in self.mixture.items():
            for rgb, w in THEMES[theme]:
                weights[rgb] = weights.get(rgb, 0.0) + share * w
        return sorted(weights.items(), key=lambda kv: -kv[1])


def _name(rng: np.random.Generator, words: int) -> str:
    """A made-up title-case name of `words` words, from syllables and dictionary words."""
    parts = []
    for _ in range(words):
        if rng.random() < 0.5:
            parts.append(str(rng.choice(_WORDS)))
        else:
            parts.append("".join(rng.choice(_SYLLABLES, size=int(rng.integers(2, 4)))))
    return " ".join(parts).title()


def slug(text: str) -> str:
    """Bandcamp-style slug: lowercase ASCII letters and digits joined by hyphens."""
    out, dash = [], False
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out).strip("-") or "untitled"


def _mixture(rng: np.random.Generator, tag: str, concentration: float = 1.5) -> dict[str, float]:
    """An album's theme shares: Dirichlet around its genre's mixture, tiny shares dropped and renormalised."""
    names = list(TAG_THEMES[tag])
    alpha = concentration * np.array([TAG_THEMES[tag][n] for n in names]) * len(names)
    theta = rng.dirichlet(alpha)
    theta[theta < 0.05] = 0.0
    if theta.sum() == 0:
        theta[int(np.argmax(alpha))] = 1.0
    theta /= theta.sum()
    return {n: round(float(t), 4) for n, t in zip(names, theta, strict=True) if t > 0}


def _drift(mixture: dict[str, float], tag: str, released: dt.date) -> dict[str, float]:
    """Blend the genre's drift theme into an album's mixture in proportion to how late it was released."""
    if tag not in DRIFT:
        return mixture
    theme, final = DRIFT[tag]
    share = final * (released.year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)
    blended = {name: w * (1 - share) for name, w in mixture.items()}
    blended[theme] = blended.get(theme, 0.0) + share
    return {name: round(w, 4) for name, w in blended.items() if round(w, 4) > 0}


def _title(rng: np.random.Generator) -> str:
    """An album title; some hold characters that pages must HTML-escape (&, quotes, <)."""
    title = _name(rng, int(rng.integers(1, 4)))
    roll = rng.random()
    if roll < 0.08:
        title = f"{title} & {_name(rng, 1)}"
    elif roll < 0.12:
        title = f'"{title}"'
    elif roll < 0.14:
        title = f"{title} <Remastered>"
    return title


def draw_catalogue(albums_per_tag: int, random_state: int) -> tuple[Album, ...]:
    """The catalogue drawn afresh (not from `catalogue`'s cache): what `catalogue` returns, under the current
    `DRIFT`."""
    if albums_per_tag < 1:
        raise ValueError(f"albums_per_tag must be >= 1, got {albums_per_tag}")
    rng = np.random.default_rng(random_state)
    n = albums_per_tag * len(TAGS)
    item_ids = rng.choice(9 * 10**8, size=n, replace=False) + 10**9
    art_ids = rng.choice(9 * 10**8, size=n, replace=False) + 10**9
    albums, stores = [], set()
    span = (dt.date(LAST_YEAR, 12, 31) - dt.date(FIRST_YEAR, 1, 1)).days
    for i in range(n):
        tag = TAGS[i % len(TAGS)]  # interleaved, so a prefix of the catalogue covers every tag
        artist = _name(rng, int(rng.integers(1, 3)))
        store = slug(artist).replace("-", "")[:20] or "artist"
        while store in stores:
            store += str(rng.integers(10))
        stores.add(store)
        title = _title(rng)
        extra = list(rng.choice(SUBTAGS[tag], size=int(rng.integers(1, 3)), replace=False))
        listed = [tag]
        if rng.random() < CROSS_LISTED:
            listed.append(str(rng.choice([t for t in TAGS if t != tag])))
        place = str(rng.choice(PLACES))
        released = dt.date(FIRST_YEAR, 1, 1) + dt.timedelta(days=int(rng.integers(0, span + 1)))
        albums.append(
            Album(
                index=i,
                item_id=int(item_ids[i]),
                art_id=int(art_ids[i]),
                store=store,
                slug=slug(title),
                title=title,
                artist=artist,
                tag=tag,
                tags=tuple(dict.fromkeys([*listed, *map(str, extra), place])),
                listed_under=tuple(listed),
                release_date=released,
                mixture=_drift(_mixture(rng, tag), tag, released),
                zero_width_title=bool(rng.random() < 0.05),
            )
        )
    return tuple(albums)


def catalogue(albums_per_tag: int = ALBUMS_PER_TAG, random_state: int = RANDOM_STATE) -> tuple[Album, ...]:
    """The demo catalogue: `albums_per_tag` albums whose primary tag is each of `TAGS`, deterministic in
    `random_state` (the same albums, names, dates and pixels on every machine)."""
    return _cached(albums_per_tag, random_state)


_cached = lru_cache(maxsize=8)(draw_catalogue)  # the server, the tests and the ground truth ask for the same albums
catalogue.cache_clear = _cached.cache_clear  # type: ignore[attr-defined] # drop what was drawn (tests move DRIFT)


def listing(albums: tuple[Album, ...], tag: str) -> list[Album]:
    """The albums a discover query for `tag` returns, in its 'top' order (catalogue order)."""
    return [a for a in albums if tag in a.listed_under]


def tracks(albums: tuple[Album, ...]) -> dict[int, Album]:
    """Single tracks mixed into discover results: album item_id → a track of the same store (one in six albums).

    Derived without drawing from the catalogue's random stream, so albums and their ground truth are unchanged."""
    taken = {a.item_id for a in albums} | {a.art_id for a in albums}
    out = {}
    for album in albums:
        if album.index % 6 == 2 and album.item_id + 1 not in taken and album.art_id + 1 not in taken:
            out[album.item_id] = replace(
                album,
                item_id=album.item_id + 1,
                art_id=album.art_id + 1,
                slug=f"{album.slug}-single",
                title=f"{album.title} (Single)",
                item_type="t",
                listed_under=album.listed_under,
            )
            taken |= {album.item_id + 1, album.art_id + 1}
    return out


def genre_truth(albums: tuple[Album, ...]) -> dict[str, dict[str, float]]:
    """Mean realised theme mixture per primary tag: what a topic model should find per genre."""
    out: dict[str, dict[str, float]] = {}
    for tag in TAGS:
        mine = [a for a in albums if a.tag == tag]
        totals: dict[str, float] = {}
        for a in mine:
            for theme, share in a.mixture.items():
                totals[theme] = totals.get(theme, 0.0) + share / len(mine)
        out[tag] = dict(sorted(totals.items(), key=lambda kv: -kv[1]))
    return out
