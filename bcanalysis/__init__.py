"""bcanalysis: colour topics of Bandcamp album covers.

Scrape albums by tag, extract colorgram palettes, quantise colours to a bit depth, and fit LDA colour topics.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
