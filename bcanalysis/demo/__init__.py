"""The offline demo: a synthetic Bandcamp catalogue with known colour themes, served locally in Bandcamp's shapes.

`THEMES`, `TAG_THEMES` and `catalogue()` are the ground truth (each album's true theme mixture) for topic recovery;
`DemoServer` serves the catalogue on 127.0.0.1; `run_demo` is what `make demo` runs.
"""

from bcanalysis.demo.catalogue import DRIFT, TAG_THEMES, TAGS, THEMES, Album, catalogue, genre_truth, listing
from bcanalysis.demo.covers import cover_jpeg, paint
from bcanalysis.demo.pages import album_page
from bcanalysis.demo.server import ALBUM_FAULTS, DemoServer

__all__ = [
    "ALBUM_FAULTS",
    "DRIFT",
    "Album",
    "DemoServer",
    "TAGS",
    "TAG_THEMES",
    "THEMES",
    "album_page",
    "catalogue",
    "cover_jpeg",
    "genre_truth",
    "listing",
    "paint",
    "run_demo",
]


def __getattr__(name: str):
    if name == "run_demo":  # imported lazily: it pulls in matplotlib
        from bcanalysis.demo.job import run_demo

        return run_demo
    raise AttributeError(f"module 'bcanalysis.demo' has no attribute {name!r}")
