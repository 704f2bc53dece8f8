"""bcanalysis: colour topics of Bandcamp album covers.

Scrape albums by tag, extract colorgram palettes, quantise colours to a bit depth, and fit LDA colour topics. Each
stage is its own module (docs/reference.md, "Layout and layers"); the corpus is `bcanalysis.store.Corpus`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
