"""The analysis's defaults, in one place: paths, the ten tags, bit depths, topic counts, the sweep grid, seeds, the
demo's scale, cover sizes, the pixel budget, the limits of an imported metadata table and the polite request rates.

Every function, command and notebook `parameters` cell takes its default from here (a test checks the notebooks),
so changing a default is one edit. Import-light on purpose: nothing here imports more than `pathlib`.
"""

from __future__ import annotations

from pathlib import Path

# --- paths (cookiecutter-data-science: one config place) ---------------------------------------------------------

PROJ_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
#: Each source's corpus and model cache, relative to the project root (the notebooks read them from notebooks/).
DEMO_DB = "data/demo/corpus.sqlite"
DEMO_CACHE = "data/demo/cache"
BANDCAMP_DB = "data/bandcamp/corpus.sqlite"
BANDCAMP_CACHE = "data/bandcamp/cache"

# --- the analysis -------------------------------------------------------------------------------------------------

#: The 2020 analysis's ten genre tags, in its order.
TAGS = ("chill", "electronic", "alternative", "hip-hop-rap", "pop", "rock", "experimental", "ambient", "metal", "punk")
#: Colours per palette (colorgram's `number_of_colors`).
N_COLORS = 40
#: The final model: total colour depth (a multiple of 3; 12 ⇒ 4 bits a channel) and number of topics.
BITS = 12
N_TOPICS = 18
#: Colour spaces colours can be binned in, the default first: RGB reproduces the analysis; HLS and OKLab are
#: perceptual alternatives (`quantize`). Here so the command line offers them without importing numpy.
SPACES = ("rgb", "hls", "oklab")
#: The sweep grid: depths compared and topic counts fitted at each, with `N_RESTARTS` fits (seeds) a cell.
SWEEP_BITS = (9, 12, 15)
SWEEP_N = tuple(range(1, 20))
N_RESTARTS = 2
#: Seed of every random draw (fits, splits, bootstrap, baselines), so a rerun reproduces a report.
RANDOM_STATE = 0
#: Bootstrap resamples for the bands over time, and neighbours shown for a similar-covers query.
N_BOOT = 200
N_SIMILAR = 8

# --- the corpus ---------------------------------------------------------------------------------------------------

#: Own columns of imported metadata (beyond bcanalysis's) that `Corpus.albums()` spreads into columns of their
#: own; a corpus with more keeps them in one column `extra` (a dict per album), so albums() stays linear in size.
OWN_COLUMNS_MAX = 1000
#: Seconds a process opening a corpus waits for another one upgrading or creating it before giving up.
CORPUS_UPGRADE_WAIT = 600

# --- data sources -------------------------------------------------------------------------------------------------

#: Albums per tag (`albums_per_tag` everywhere): the notebooks' and the demo catalogue's default, then those of
#: `make demo`'s report and of the full-size report on Bandcamp.
ALBUMS_PER_TAG = 30
DEMO_REPORT_ALBUMS_PER_TAG = 100
BANDCAMP_ALBUMS_PER_TAG = 2500
#: Edge length of the demo's painted covers for size code 10 (Bandcamp serves 1200 px).
DEMO_COVER_PX = 600
#: Bandcamp's image size code fetched by default: 10 = 1200 px.
COVER_SIZE = 10
#: Images with more pixels than this are refused before they are decoded (a 1200 px cover is 1.44 M).
MAX_PIXELS = 50_000_000
#: Limits of a metadata table for `bcanalysis import`, which reads it whole before storing any image: its size in
#: bytes (a bigger file is refused unread), one line (a longer one costs its row, read past and never held), one
#: value in characters (a longer one is dropped from its row, as is a JSON value nested deeper than META_MAX_DEPTH).
#: Roomy for real tables: a million rows of 250 bytes, liner notes of 60,000 characters.
META_MAX_BYTES = 256 * 2**20
META_MAX_LINE = 2**20
META_MAX_FIELD = 64 * 2**10
META_MAX_DEPTH = 32
#: Polite rates against bandcamp.com (`bandcamp.Politeness`'s defaults, with its other limits): site requests
#: (discover API, album pages) and image-host requests a second, the latter over this many parallel connections.
SITE_RATE = 1.0
COVER_RATE = 5.0
COVER_CONNECTIONS = 4
#: Rates against the offline demo server on 127.0.0.1 (no one to be polite to): `bandcamp.DEMO_POLITENESS`.
DEMO_RATE = 500.0
