"""bcanalysis: colour topics of Bandcamp album covers.

Scrape albums by tag, extract colorgram palettes, quantise colours to a bit depth, and fit LDA colour topics.
"""

__version__ = "0.1.0"

__all__ = ["Corpus", "__version__"]


def __getattr__(name: str):
    """`bcanalysis.Corpus`, imported on first use so `import bcanalysis` stays light (no pandas)."""
    if name == "Corpus":
        from bcanalysis.store import Corpus

        return Corpus
    raise AttributeError(f"module 'bcanalysis' has no attribute {name!r}")
