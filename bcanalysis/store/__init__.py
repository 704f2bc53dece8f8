"""The corpus: one SQLite file of albums, their tags, covers, palettes and scrape progress.

    from bcanalysis.store import Corpus
    with Corpus("data/corpus.sqlite") as corpus:
        albums = corpus.albums()

Covers are JPEG files in a folder beside the database (`<name>-covers/a<art_id>_<size>.jpg`), written before the
row that points at them, so the database never names a cover that is not there. Every write that finishes an album
is one transaction, so a process killed at any instant leaves a valid corpus that a rerun can continue.

Modules by concern: `schema` (version and migrations), `connection` (opening the file; SQLite failures as
`CorpusError`), `corpus` (the class), `listings` (scrape bookkeeping), `albums`, `palettes`, `tables` (reading and
export), `records` (`Cover`, timestamps), `unfinished` (cover files being written, and those killed runs left).
"""

from bcanalysis.store.connection import CorpusError
from bcanalysis.store.corpus import Corpus
from bcanalysis.store.palettes import PaletteArrays
from bcanalysis.store.records import Cover, now
from bcanalysis.store.schema import COVER_STATUSES, MIGRATIONS, SCHEMA_VERSION, Upgrade, UpgradeWarning
from bcanalysis.store.tables import FORMULA_STARTS

__all__ = [
    "COVER_STATUSES",
    "FORMULA_STARTS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Corpus",
    "CorpusError",
    "Cover",
    "PaletteArrays",
    "Upgrade",
    "UpgradeWarning",
    "now",
]
