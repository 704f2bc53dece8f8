"""Your own covers: import a folder of images, with an optional metadata table, as a corpus.

Every image under the folder (JPEG, PNG, WebP, GIF's first frame, TIFF, …) becomes one album, keyed by the SHA-256
of its bytes, so the same picture twice is one album and a rerun adds only what is new. A metadata table (CSV or
JSON lines, one row per image, a `file` column relative to the folder) gives titles, artists, tags, dates, places,
genres and any fields of your own. Nothing about the images, their names or the table is trusted: a bad image, a
folder that cannot be read, a link out of the folder or a bad row is reported with its reason, never fatal.

Modules: `job` (the run), `table` (the one bounded reader of metadata tables), `fields` (names and values), `files`
(finding, reading and copying images), `summary` (what a run did, and its errors).
"""

from bcanalysis.importer.fields import KNOWN_COLUMNS, album_fields, parse_tags, slug
from bcanalysis.importer.files import check_cover, content_hash, find_pictures
from bcanalysis.importer.job import import_images
from bcanalysis.importer.summary import ImportInputError, ImportStopped, ImportSummary, Problem
from bcanalysis.importer.table import SUFFIXES as META_SUFFIXES
from bcanalysis.importer.table import read_metadata
from bcanalysis.store.unfinished import remove_unfinished

__all__ = [
    "KNOWN_COLUMNS",
    "META_SUFFIXES",
    "ImportInputError",
    "ImportStopped",
    "ImportSummary",
    "Problem",
    "album_fields",
    "check_cover",
    "content_hash",
    "find_pictures",
    "import_images",
    "parse_tags",
    "read_metadata",
    "remove_unfinished",
    "slug",
]
