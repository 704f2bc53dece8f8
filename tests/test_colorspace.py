"""Colour spaces against scikit-image and colorsys, the palette distance against scipy's 1-D Wasserstein, and the
perceptual quantisers' vocabulary sizes."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest
from scipy.stats import wasserstein_distance
from skimage.color import rgb2lab

from bcanalysis import colorspace
from bcanalysis.palette import distance
from bcanalysis.quantize import OKLAB_STEPS, quantize

RNG = np.random.default_rng(11)
RANDOM_RGB = RNG.integers(0, 256, size=(5000, 3)).astype(np.uint8)


def test_lab_matches_scikit_image():
    ours = colorspace.rgb_to_lab(RANDOM_RGB.reshape(50, 100, 3))
    assert ours.shape == (50, 100, 3)
    assert np.abs(ours - rgb2lab(RANDOM_RGB.reshape(50, 100, 3) / 255.0)).max() < 1e-3


def test_hls_matches_colorsys_both_ways():
    ours = colorspace.rgb_to_hls(RANDOM_RGB)
    ref = np.array([colorsys.rgb_to_hls(*(c / 255.0)) for c in RANDOM_RGB])
    assert np.abs(ours - ref).max() < 1e-12
    back = np.array([colorsys.hls_to_rgb(*h) for h in ref])
    assert (colorspace.hls_to_rgb(ours) == np.round(back * 255)).all()
    assert (colorspace.hls_to_rgb(ours) == RANDOM_RGB).all()


def test_oklab_reference_values_and_round_trip():
    white, red = colorspace.rgb_to_oklab(np.array([[255, 255, 255], [255, 0, 0]]))
    assert white == pytest.approx([1.0, 0.0, 0.0], abs=1e-6)
    assert red == pytest.approx([0.627955, 0.224863, 0.125846], abs=1e-5)  # Ottosson's published sRGB red
    assert (colorspace.oklab_to_rgb(colorspace.rgb_to_oklab(RANDOM_RGB)) == RANDOM_RGB).all()


def test_distance_on_greys_equals_one_dimensional_wasserstein():
    values, weights = RNG.integers(0, 256, 40), RNG.random(40)
    other, other_w = RNG.integers(0, 256, 25), RNG.random(25)
    p = [(v, v, v, w) for v, w in zip(values, weights, strict=True)]
    q = [(v, v, v, w) for v, w in zip(other, other_w, strict=True)]
    lightness = colorspace.rgb_to_lab(np.stack([values] * 3, -1))[:, 0]
    other_l = colorspace.rgb_to_lab(np.stack([other] * 3, -1))[:, 0]
    assert distance(p, q) == pytest.approx(wasserstein_distance(lightness, other_l, weights, other_w), rel=1e-6)


def test_distance_is_a_metric_and_reads_any_palette_form():
    from bcanalysis.palette import Color

    a = [Color(200, 30, 30, 0.7), Color(20, 20, 20, 0.3)]
    b = [(200, 30, 30, 0.3), (20, 20, 20, 0.7)]
    c = np.array([[0, 0, 255], [255, 255, 255]])  # no proportions: equal weights
    assert distance(a, a) == pytest.approx(0, abs=1e-9)
    assert distance(a, b) == pytest.approx(distance(b, a))
    assert distance(a, c) <= distance(a, b) + distance(b, c) + 1e-9
    red, dark = colorspace.rgb_to_lab(np.array([[200, 30, 30], [20, 20, 20]]))
    red_to_dark = np.linalg.norm(red - dark)
    assert distance(a, b) == pytest.approx(0.4 * red_to_dark)  # 40 % of the mass moves from red to near-black
    with pytest.raises(ValueError, match="palette q is empty"):
        distance(a, [])


@pytest.fixture(scope="module")
def srgb_sample():
    """Every second level of each channel (128³ colours) and their OKLab coordinates."""
    v = np.arange(0, 256, 2)
    grid = np.stack(np.meshgrid(v, v, v, indexing="ij"), -1).reshape(-1, 3)
    return grid, colorspace.rgb_to_oklab(grid)


@pytest.mark.parametrize("bits", [9, 12, 15])
@pytest.mark.slow
def test_oklab_vocabulary_compares_with_rgb(bits, srgb_sample):
    grid, lab = srgb_sample
    cells = np.unique(np.floor(lab / OKLAB_STEPS[bits]).astype(np.int64), axis=0).shape[0]
    assert 0.9 * 2**bits <= cells <= 1.1 * 2**bits
    words = np.unique(quantize(grid[::7], bits, space="oklab"), axis=0).shape[0]
    assert 0.5 * 2**bits <= words <= 1.1 * 2**bits  # clipping out-of-gamut centres merges a few cells


@pytest.mark.parametrize("bits", [9, 12, 15])
def test_hls_quantiser_against_colorsys(bits):
    steps = 2 ** (bits // 3)
    expected = []
    for r, g, b in RANDOM_RGB[:500] / 255.0:
        h, lum, s = colorsys.rgb_to_hls(r, g, b)
        h = round(h * steps) % steps / steps
        lum, s = round(lum * (steps - 1)) / (steps - 1), round(s * (steps - 1)) / (steps - 1)
        expected.append([round(c * 255) for c in colorsys.hls_to_rgb(h, lum, s)])
    assert (quantize(RANDOM_RGB[:500], bits, space="hls") == np.array(expected)).all()


def test_space_is_checked_and_rgb_stays_default():
    assert (quantize(RANDOM_RGB, 12) == quantize(RANDOM_RGB, 12, space="rgb")).all()
    for space in ("rgb", "hls", "oklab"):
        assert (quantize(RANDOM_RGB, 24, space=space) == RANDOM_RGB).all()
    with pytest.raises(ValueError, match="'lab'"):
        quantize(RANDOM_RGB, 12, space="lab")


def test_integer_codes_and_hex_words_agree_with_python_int_parsing():
    rgb = RNG.integers(0, 256, (500, 3))
    words = colorspace.to_words(rgb)
    codes = colorspace.pack_rgb(rgb)
    assert codes.tolist() == [int(w, 16) for w in words]  # a code is the hex word read as a number
    assert (colorspace.unpack_rgb(codes) == rgb).all()
    assert sorted(words) == colorspace.to_words(colorspace.unpack_rgb(np.sort(codes)))  # same order
    assert colorspace.to_words([(204, 102, 51)]) == ["cc6633"]
