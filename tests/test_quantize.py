"""bcanalysis.quantize against the analysis's rgb_color_converter, as the seed digest specifies it."""

from __future__ import annotations

import colorgram
import numpy as np
import pytest
from PIL import Image

from bcanalysis import palette
from bcanalysis.palette import colors_and_proportions
from bcanalysis.quantize import (
    ALLOWED_BITS,
    check_bits,
    document_to_palette,
    palette_to_document,
    quantize,
)


def analysis_converter(col, i=8, o=5):
    """The 2020 analysis's converter as its notebook describes it: scale down, round, scale up, round."""
    factor = (2**o - 1) / (2**i - 1)
    return np.round(np.round(np.multiply(col, factor)) / factor).astype(np.intp)


def test_examples_from_the_analysis():
    assert palette_to_document([(200, 100, 50)], 12) == "cc6633"
    assert palette_to_document([(200, 100, 50)], 9) == "b66d24"
    assert palette_to_document([(200, 100, 50)], 24) == "c86432"


@pytest.mark.parametrize("bits", ALLOWED_BITS)
def test_every_channel_value_matches_the_analysis(bits):
    c = np.arange(256)
    grid = np.stack(np.meshgrid(c, c[::17], c[::51], indexing="ij"), axis=-1)  # leading shape (256, 16, 6)
    got = quantize(grid, bits)
    assert got.shape == grid.shape and got.dtype == np.uint8
    assert (got == analysis_converter(grid, o=bits // 3)).all()
    assert np.unique(quantize(np.stack([c, c, c], -1), bits)[:, 0]).size == 2 ** (bits // 3)
    assert (quantize(got, bits) == got).all()  # idempotent


def test_twelve_bit_is_round_to_multiples_of_17_without_ties():
    c = np.arange(256)
    assert (quantize(np.stack([c, c, c], -1), 12)[:, 0] == ((c + 8) // 17) * 17).all()


def test_inputs_of_every_shape_agree():
    colors = palette.extract(Image.effect_mandelbrot((64, 64), (-2, -1.5, 1, 1.5), 100).convert("RGB"), 40)
    theirs = colorgram.extract(Image.effect_mandelbrot((64, 64), (-2, -1.5, 1, 1.5), 100).convert("RGB"), 40)
    rgb = np.array([c.rgb for c in colors])
    as_tuples = [tuple(c.rgb) for c in colors]
    with_props = [(*c.rgb, c.proportion) for c in colors]
    expected = analysis_converter(rgb, o=4)
    for form in (colors, theirs, as_tuples, with_props, rgb, np.array(with_props)):
        assert (quantize(form, 12) == expected).all()
        assert palette_to_document(form, 12) == " ".join(bytes(x.astype("u1")).hex() for x in expected)
    got_rgb, props = colors_and_proportions(with_props)
    assert (got_rgb == rgb).all() and props == pytest.approx([c.proportion for c in colors])
    assert colors_and_proportions(as_tuples)[1] is None


def test_document_round_trip():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, size=(40, 3))
    doc = palette_to_document(rgb, 15)
    assert all(len(w) == 6 and w == w.lower() for w in doc.split(" "))
    assert (document_to_palette(doc) == quantize(rgb, 15)).all()
    assert (document_to_palette(doc.split()) == quantize(rgb, 15)).all()
    assert document_to_palette("").shape == (0, 3)
    assert palette_to_document([], 12) == ""


@pytest.mark.parametrize("bad", [0, 1, 2, 13, 25, 27, -3, 12.0, "12", True, None])
def test_bad_bits_name_the_value(bad):
    with pytest.raises(ValueError, match=f"got {bad!r}".replace("(", r"\(").replace(")", r"\)")):
        quantize([(1, 2, 3)], bad)
    with pytest.raises(ValueError, match="multiple of 3 from 3 to 24"):
        check_bits(bad)


@pytest.mark.parametrize("bad, shown", [([(1, 2, 300)], "300"), ([(-1, 2, 3)], "-1"), ([(1, 2, 3.5)], "3.5")])
def test_bad_channels_name_the_value(bad, shown):
    with pytest.raises(ValueError, match=shown):
        quantize(bad, 12)


def test_bad_words_and_shapes():
    with pytest.raises(ValueError, match="'CC6633'"):
        document_to_palette("CC6633")
    with pytest.raises(ValueError, match="'cc663'"):
        document_to_palette("cc663 aabbcc")
    with pytest.raises(ValueError, match="shape"):
        colors_and_proportions(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="mixes"):
        colors_and_proportions([(1, 2, 3), (1, 2, 3, 0.5)])
