"""bcanalysis.palette against colorgram.py itself: identical colours, proportions, HSL and order, on both kernels."""

from __future__ import annotations

import concurrent.futures as cf
import io
import json
import warnings

import colorgram
import colorgram.colorgram as cg_impl
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bcanalysis import palette


def as_rows(colors) -> list[tuple]:
    """Everything a caller can read off a colour, for exact comparison."""
    return [(tuple(c.rgb), c.proportion, tuple(c.hsl)) for c in colors]


def assert_same(image, n: int) -> None:
    """Both kernels (compiled and numpy) give exactly colorgram.py's palette."""
    expected = as_rows(colorgram.extract(image, n))
    for kernel in palette.KERNELS:
        assert as_rows(palette.extract(image, n, kernel=kernel)) == expected, kernel


# --- the bin table ----------------------------------------------------------------------------------------------


def test_bin_table_is_small_and_built_once():
    table = palette.bin_table()
    assert table.nbytes <= 64 * 2**20
    assert palette.bin_table() is table
    # Only 40 of the 64 bins can be reached by any colour (see the seed digest).
    assert np.unique(table).size == 40


def test_bin_table_matches_colorgram_on_random_colours():
    """Per colour, the bin equals colorgram.py's packing computed by its own hsl()."""
    rng = np.random.default_rng(7)
    colours = rng.integers(0, 256, size=(100_000, 3))
    table = palette.bin_table()
    for r, g, b in colours.tolist():
        h, _s, lum = cg_impl.hsl(r, g, b)
        y = int(r * 0.2126 + g * 0.7152 + b * 0.0722)
        packed = ((y & 0xC0) << 4) | ((h & 0xC0) << 2) | (lum & 0xC0)
        assert table[r | g << 8 | b << 16] == packed >> 6, (r, g, b)


@pytest.mark.slow
def test_every_24_bit_colour_sampled_like_colorgram():
    """An image holding each of the 2^24 colours once: per-bin counts and RGB sums equal colorgram's sample()."""
    codes = np.arange(1 << 24, dtype=np.uint32)
    rgb = np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb.reshape(4096, 4096, 3), "RGB")
    reference = np.asarray(cg_impl.sample(image), dtype=np.int64).reshape(-1, 4)  # 4096 packed slots × (r, g, b, n)
    slots = np.arange(64) << 6  # our bin k is colorgram's packed value k << 6
    assert reference[:, 3].sum() == 1 << 24
    for kernel in palette.KERNELS:
        counts, sums = palette.histogram(image, kernel)
        assert (reference[slots, 3] == counts).all(), kernel
        assert (reference[slots, :3] == sums).all(), kernel


# --- peer control data -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_colorgram_js_control_data(shared_reference):
    """colorgram.js's own output for its test image: RGB exact, proportion within 0.01."""
    folder = shared_reference / "colorgram-js"
    expected = json.loads((folder / "test.json").read_text())
    for n, rows in expected.items():
        got = palette.extract(folder / "test.png", int(n), kernel="numpy")
        assert len(got) == len(rows)
        for colour, (r, g, b, p) in zip(got, rows, strict=True):
            assert tuple(colour.rgb) == (r, g, b)
            assert colour.proportion == pytest.approx(p, abs=0.01)
        assert_same(str(folder / "test.png"), int(n))


# --- real photographs --------------------------------------------------------------------------------------------


def _photographs() -> dict[str, Image.Image]:
    from skimage import data as skdata
    from sklearn.datasets import load_sample_image

    photos = {name: Image.fromarray(load_sample_image(name)) for name in ("china.jpg", "flower.jpg")}
    for name in ("astronaut", "chelsea", "coffee", "rocket", "camera", "immunohistochemistry", "logo"):
        photos[name] = Image.fromarray(getattr(skdata, name)())
    return photos


PHOTOS = _photographs()


@pytest.mark.parametrize("name", sorted(PHOTOS))
@pytest.mark.parametrize("n", [1, 12, 40, 100])
@pytest.mark.slow
def test_photographs_identical(name, n):
    assert_same(PHOTOS[name], n)


@pytest.mark.parametrize("mode", ["RGBA", "RGBa", "L", "LA", "P", "PA", "CMYK", "1", "I", "F", "YCbCr", "HSV"])
def test_image_modes_identical(mode):
    base = PHOTOS["astronaut"].convert("RGBA") if mode in ("RGBA", "RGBa", "LA", "PA") else PHOTOS["astronaut"]
    if mode in ("RGBA", "RGBa", "LA", "PA"):
        alpha = np.tile(np.linspace(0, 255, base.width, dtype=np.uint8), (base.height, 1))
        base.putalpha(Image.fromarray(alpha, "L"))
    assert_same(base.convert(mode), 40)


@pytest.mark.slow
def test_palette_image_with_transparency():
    image = PHOTOS["coffee"].convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    image.info["transparency"] = 3
    assert_same(image, 40)
    rgba = image.convert("RGBA")  # the transparent index now has alpha 0; colorgram still counts it
    assert_same(rgba, 40)


def test_sixteen_bit_greyscale():
    ramp = np.linspace(0, 65535, 256 * 64, dtype=np.uint16).reshape(64, 256)
    image = Image.frombytes("I;16", (256, 64), ramp.astype("<u2").tobytes())
    assert image.mode == "I;16"
    assert_same(image, 40)


# --- generated edge cases ----------------------------------------------------------------------------------------


def _one_colour_per_bin() -> np.ndarray:
    """One representative colour for each of the 40 reachable bins, in bin order."""
    table = palette.bin_table()
    bins, first = np.unique(table, return_index=True)
    assert bins.size == 40
    return np.stack([first & 255, (first >> 8) & 255, first >> 16], axis=-1).astype(np.uint8)


@pytest.mark.slow
def test_all_40_bins_with_equal_counts_tie_in_bin_order():
    """Every bin holds the same number of pixels: the order is decided by colorgram's stable sort alone."""
    reps = _one_colour_per_bin()
    rng = np.random.default_rng(3)
    pixels = np.repeat(reps, 5, axis=0)[rng.permutation(200)]
    image = Image.fromarray(pixels.reshape(10, 20, 3), "RGB")
    got = palette.extract(image, 64)
    assert len(got) == 40
    assert_same(image, 64)
    assert_same(image, 40)
    assert_same(image, 17)


def test_partial_ties():
    reps = _one_colour_per_bin()
    counts = [3, 7, 7, 1, 3, 7, 2, 2] * 5
    pixels = np.concatenate([np.repeat(reps[i : i + 1], c, axis=0) for i, c in enumerate(counts)])[::-1]
    image = Image.fromarray(pixels[None, :, :], "RGB")
    assert_same(image, 40)
    assert_same(image, 10)


@pytest.mark.parametrize(
    "rgb",
    [(0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)],
)
def test_one_colour_and_one_pixel(rgb):
    for size in [(1, 1), (7, 3)]:
        image = Image.new("RGB", size, rgb)
        assert_same(image, 40)
        got = palette.extract(image, 40)
        assert [tuple(c.rgb) for c in got] == [rgb] and got[0].proportion == 1.0


def test_grey_ramp_and_extreme_hues():
    grey = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2).repeat(4, axis=0)
    assert_same(Image.fromarray(grey, "RGB"), 40)
    hue = np.array(
        [
            [(255, i, 0), (255 - i, 255, 0), (0, 255, i), (0, 255 - i, 255), (i, 0, 255), (255, 0, 255 - i)]
            for i in range(256)
        ],
        dtype=np.uint8,
    ).reshape(-1, 6, 3)
    assert_same(Image.fromarray(hue, "RGB"), 40)


def test_zero_colours_and_more_colours_than_present():
    image = PHOTOS["chelsea"]
    assert palette.extract(image, 0) == [] == colorgram.extract(image, 0)
    assert_same(image, 1000)
    empty = Image.new("RGB", (0, 0))
    assert palette.extract(empty, 40) == [] == colorgram.extract(empty, 40)


def test_bad_number_of_colours():
    with pytest.raises(ValueError, match="-1"):
        palette.extract(PHOTOS["chelsea"], -1)
    with pytest.raises(TypeError, match="2.5"):
        palette.extract(PHOTOS["chelsea"], 2.5)


def test_paths_files_bytes_and_images(tmp_path):
    image = PHOTOS["coffee"]
    path = tmp_path / "cover.jpg"
    image.save(path, quality=90)
    expected = as_rows(colorgram.extract(str(path), 40))
    assert as_rows(palette.extract(str(path), 40)) == expected
    assert as_rows(palette.extract(path, 40)) == expected
    with open(path, "rb") as fh:
        assert as_rows(palette.extract(fh, 40)) == expected
    assert as_rows(palette.extract(path.read_bytes(), 40)) == expected
    with Image.open(path) as opened:
        assert as_rows(palette.extract(opened, 40)) == expected


def test_colour_objects_behave_like_colorgrams():
    ours, theirs = palette.extract(PHOTOS["rocket"], 5), colorgram.extract(PHOTOS["rocket"], 5)
    for a, b in zip(ours, theirs, strict=True):
        assert a.rgb == b.rgb and a.rgb.r == b.rgb.r and a.hsl == b.hsl and a.hsl.l == b.hsl.l
        assert a.hex == "{:02x}{:02x}{:02x}".format(*b.rgb)
    assert sum(c.proportion for c in ours) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 12),
    st.integers(1, 12),
    st.sampled_from(["RGB", "RGBA", "L", "P", "CMYK", "LA"]),
    st.integers(0, 2**32 - 1),
    st.integers(0, 45),
)
def test_random_small_images(width, height, mode, seed, n):
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, 256, size=rng.integers(1, 6))  # few distinct channel values ⇒ many ties
    pixels = rng.choice(levels, size=(height, width, 3)).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    if mode != "RGB":
        image = image.convert(mode)
    assert_same(image, n)


# --- the two kernels, bands and streaming ------------------------------------------------------------------------


def _one_row(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)[None, :, :], "RGB")


@pytest.mark.parametrize("n_pixels", [1, 3, 4, 5, 4089, 4090, 4091, 4092, 4093, 4096, 8183, 8184, 8185, 12277])
def test_kernel_flush_boundaries_with_the_largest_sums(n_pixels):
    """The compiled kernel packs sums into 18-bit fields and flushes every 4 × 1023 pixels: white (the largest sums)
    and random pixels around those boundaries give exactly colorgram.py's counts and sums."""
    white = _one_row(np.full((n_pixels, 3), 255))
    reference = np.asarray(cg_impl.sample(white), dtype=np.int64).reshape(-1, 4)[np.arange(64) << 6]
    for kernel in palette.KERNELS:
        counts, sums = palette.histogram(white, kernel)
        assert (counts == reference[:, 3]).all() and (sums == reference[:, :3]).all(), kernel
        assert counts.sum() == n_pixels and sums.max() == 255 * n_pixels
    rng = np.random.default_rng(n_pixels)
    assert_same(_one_row(rng.integers(0, 256, size=(n_pixels, 3))), 40)


def test_one_colour_image_larger_than_a_field():
    """Millions of pixels in one bin: the int64 totals, not the packed fields, carry the sums."""
    image = Image.new("RGB", (2048, 1100), (255, 255, 254))
    for kernel in palette.KERNELS:
        counts, sums = palette.histogram(image, kernel)
        (k,) = np.flatnonzero(counts)
        assert counts[k] == 2048 * 1100 and tuple(sums[k]) == (255 * 2048 * 1100, 255 * 2048 * 1100, 254 * 2048 * 1100)
    assert [tuple(c.rgb) for c in palette.extract(image, 40)] == [(255, 255, 254)]


@pytest.mark.parametrize("stream_bytes", [4, 64, 4 * 1021])
@pytest.mark.slow
def test_streamed_in_small_chunks_identical(monkeypatch, stream_bytes):
    """Pixels reach the kernel in chunks of whole rows; any chunk size gives colorgram.py's palette."""
    monkeypatch.setattr(palette.engine, "STREAM_BYTES", stream_bytes)
    monkeypatch.setattr(palette.engine, "CHUNK", max(1, stream_bytes // 4))  # the numpy kernel's chunks
    assert_same(PHOTOS["coffee"], 40)
    assert_same(PHOTOS["coffee"].convert("RGBA"), 40)
    assert_same(_one_row(np.random.default_rng(1).integers(0, 256, size=(997, 3))), 40)


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "LA", "I;16", "F", "1"])
@pytest.mark.slow
def test_converted_band_by_band_identical(monkeypatch, mode):
    """Other modes are converted to RGB one band of rows at a time (bounded memory); bands of 1 to 300 rows."""
    image = PHOTOS["astronaut"]
    if mode == "I;16":
        grey = np.asarray(image.convert("L"), dtype=np.uint16) * 257
        image = Image.frombytes("I;16", image.size, grey.astype("<u2").tobytes())
    elif mode == "P":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE, colors=200)
        image.info["transparency"] = 5
    else:
        image = image.convert(mode)
    for band_pixels in (1, 512 * 7, 512 * 300):
        monkeypatch.setattr(palette.engine, "BAND_PIXELS", band_pixels)
        assert_same(image, 40)


@pytest.mark.slow
def test_without_pils_encoder_api_identical(monkeypatch):
    """If a future Pillow drops the raw-encoder API we stream through, bands go through the public tobytes()."""
    monkeypatch.setattr(palette.engine, "_raw_encoder", lambda mode, rawmode: None)
    monkeypatch.setattr(palette.engine, "BAND_PIXELS", 512 * 37)
    for image in (PHOTOS["rocket"], PHOTOS["rocket"].convert("RGBA"), PHOTOS["camera"]):
        assert_same(image, 40)


def test_kernel_choice(monkeypatch):
    monkeypatch.delenv(palette.engine.KERNEL_ENV, raising=False)
    assert palette.default_kernel() == "numba"  # numba is a dependency: the compiled kernel is the default
    monkeypatch.setenv(palette.engine.KERNEL_ENV, "numpy")
    assert palette.default_kernel() == "numpy"
    monkeypatch.setenv(palette.engine.KERNEL_ENV, "fortran")
    with pytest.raises(ValueError, match="fortran"):
        palette.extract(PHOTOS["logo"], 5)
    with pytest.raises(ValueError, match="cuda"):
        palette.histogram(PHOTOS["logo"], "cuda")


def test_without_numba_the_numpy_kernel_takes_over(monkeypatch):
    import sys

    monkeypatch.delenv(palette.engine.KERNEL_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` now raises ImportError
    monkeypatch.delitem(sys.modules, "bcanalysis.palette.kernel", raising=False)
    palette.engine.numba_kernel.cache_clear()
    try:
        assert palette.default_kernel() == "numpy"
        assert as_rows(palette.extract(PHOTOS["chelsea"], 12)) == as_rows(colorgram.extract(PHOTOS["chelsea"], 12))
        with pytest.raises(ValueError, match="numba cannot be imported"):
            palette.extract(PHOTOS["chelsea"], 12, kernel="numba")
    finally:
        palette.engine.numba_kernel.cache_clear()


def test_a_kernel_that_does_not_compile_falls_back_to_numpy(monkeypatch):
    from bcanalysis.palette import kernel

    def broken(codes, table, out):
        raise RuntimeError("LLVM could not compile this")

    monkeypatch.delenv(palette.engine.KERNEL_ENV, raising=False)
    monkeypatch.setattr(kernel, "bin_sums", broken)
    palette.engine.numba_kernel.cache_clear()
    try:
        assert palette.default_kernel() == "numpy"
        assert as_rows(palette.extract(PHOTOS["coffee"], 9)) == as_rows(colorgram.extract(PHOTOS["coffee"], 9))
    finally:
        palette.engine.numba_kernel.cache_clear()


# --- the pixel budget and what is not a file -------------------------------------------------------------------


def _png_header_only(path, width: int, height: int) -> None:
    """A PNG whose header says width × height, with a few rows of data: enough for PIL to open, never decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"\0" * (3 * width + 1) * 4)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", rows)
        + chunk(b"IEND", b"")
    )


def test_pixel_budget_refuses_large_files_before_decoding(tmp_path):
    big = tmp_path / "big.png"
    _png_header_only(big, 13000, 13000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PIL's own bomb warning is not raised: our refusal says it instead
        with pytest.raises(palette.ImageTooLarge, match=r"13000×13000 = 169.0 Mpx .* budget of 50 Mpx"):
            palette.extract(big, 40)
        with pytest.raises(palette.ImageTooLarge, match="169.0 Mpx"):
            palette.extract(big.read_bytes(), 40)
    small = tmp_path / "small.png"
    PHOTOS["chelsea"].save(small)
    width, height = PHOTOS["chelsea"].size
    expected = as_rows(colorgram.extract(str(small), 40))
    assert as_rows(palette.extract(small, 40, max_pixels=width * height)) == expected  # the budget is inclusive
    with pytest.raises(palette.ImageTooLarge, match=f"{width}×{height}"):
        palette.extract(small, 40, max_pixels=width * height - 1)
    assert as_rows(palette.extract(PHOTOS["chelsea"], 40, max_pixels=10)) == expected  # decoded already: no refusal
    results = palette.extract_many([small, big], 40, executor=cf.ThreadPoolExecutor(2), progress=False, chunksize=1)
    assert results[0].ok and "ImageTooLarge" in results[1].error and "not decoded" in results[1].error


@pytest.mark.parametrize(
    ("bad", "error"), [(0, ValueError), (-5, ValueError), (2.5, TypeError), ("50M", TypeError), (True, TypeError)]
)
def test_bad_pixel_budget(bad, error):
    with pytest.raises(error, match=f"max_pixels.*{repr(bad).replace('.', '[.]')}"):
        palette.extract(PHOTOS["logo"], 5, max_pixels=bad)


def test_a_fifo_or_folder_is_refused_not_waited_on(tmp_path):
    import os

    fifo = tmp_path / "cover.jpg"
    os.mkfifo(fifo)
    with pytest.raises(palette.NotARegularFile, match="a FIFO"):
        palette.extract(fifo, 40)
    with pytest.raises(palette.NotARegularFile, match="a folder"):
        palette.extract(tmp_path, 40)
    results = palette.extract_many([fifo, str(tmp_path)], 40, progress=False, n_jobs=1)
    assert ["NotARegularFile" in r.error for r in results] == [True, True]


# --- many images ------------------------------------------------------------------------------------------------


@pytest.fixture
def cover_files(tmp_path):
    paths = []
    for i, name in enumerate(["astronaut", "chelsea", "coffee", "rocket", "china.jpg", "logo"]):
        path = tmp_path / f"{i}.png"
        PHOTOS[name].save(path)
        paths.append(path)
    return paths


@pytest.mark.slow
def test_extract_many_in_order_on_a_process_pool(cover_files):
    results = palette.extract_many(cover_files, 40, progress=False, chunksize=1)
    assert [r.source for r in results] == [str(p) for p in cover_files]
    for path, result in zip(cover_files, results, strict=True):
        assert result.ok and as_rows(result.colors) == as_rows(colorgram.extract(str(path), 40))


@pytest.mark.slow
def test_extract_many_records_bad_inputs(tmp_path, cover_files):
    truncated = tmp_path / "truncated.jpg"
    PHOTOS["coffee"].save(truncated, quality=90)
    truncated.write_bytes(truncated.read_bytes()[:2000])
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    items = [cover_files[0], str(tmp_path / "missing.jpg"), b"\x00garbage", text, truncated, cover_files[1]]
    results = palette.extract_many(items, 40, executor=cf.ThreadPoolExecutor(2), progress=False, chunksize=1)
    assert [r.ok for r in results] == [True, False, False, False, False, True]
    assert "missing.jpg" in results[1].source and "FileNotFoundError" in results[1].error
    assert results[2].source.startswith("<bytes #2") and "UnidentifiedImageError" in results[2].error
    assert results[3].source == str(text)
    assert "truncated" in results[4].error.lower() or "OSError" in results[4].error
    assert as_rows(results[5].colors) == as_rows(colorgram.extract(str(cover_files[1]), 40))


def test_decompression_bomb_is_refused_and_reported(tmp_path):
    big = Image.new("L", (1, 1))
    path = tmp_path / "bomb.png"
    big.save(path)
    limit = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = 100  # PIL refuses images over twice the limit; a 20x20 image now is one
        Image.new("RGB", (20, 20), (1, 2, 3)).save(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            results = palette.extract_many([path], 40, executor=cf.ThreadPoolExecutor(1), progress=False)
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    assert not results[0].ok and "DecompressionBombError" in results[0].error


def test_extract_many_serial_images_and_bytes(capsys):
    image = PHOTOS["camera"]
    buf = io.BytesIO()
    image.save(buf, "PNG")
    results = palette.extract_many([image, buf.getvalue()], 8, progress=True)
    assert all(r.ok for r in results)
    assert as_rows(results[0].colors) == as_rows(results[1].colors) == as_rows(colorgram.extract(image, 8))
    assert results[0].source.startswith("<L image #0")
    assert "palettes" in capsys.readouterr().err  # the tqdm bar


@pytest.mark.slow
def test_extract_many_on_a_dask_cluster(cover_files):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            results = palette.extract_many(cover_files, 40, executor=client, progress=False, chunksize=2)
    for path, result in zip(cover_files, results, strict=True):
        assert result.ok and as_rows(result.colors) == as_rows(colorgram.extract(str(path), 40))


def test_find_images(tmp_path, cover_files):
    (tmp_path / "sub").mkdir()
    PHOTOS["chelsea"].save(tmp_path / "sub" / "x.JPG")
    (tmp_path / "readme.txt").write_text("x")
    found = palette.find_images([tmp_path])
    assert tmp_path / "sub" / "x.JPG" in found and len(found) == len(cover_files) + 1
    with pytest.raises(FileNotFoundError, match="nope"):
        palette.find_images([tmp_path / "nope"])


def test_against_colorgram_prints_timings_at_the_precision_they_hold(tmp_path):
    """The issue: a speed-up printed as 818.649267. Seconds carry three significant digits, the ratio a whole
    number, computed from the unrounded times."""
    from bcanalysis.palette import against_colorgram

    rng = np.random.default_rng(2)
    path = tmp_path / "cover.png"
    Image.fromarray(rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)).save(path)
    table = against_colorgram([path], repeat=1)
    row = table.iloc[0]
    assert row["pixels"] == 4800 and bool(row["identical"])
    for col in ("bcanalysis s", "colorgram.py s"):
        assert float(f"{row[col]:.3g}") == row[col] > 0
    assert isinstance(row["speed-up"], (int, np.integer)) and row["speed-up"] >= 1
    ratio = row["colorgram.py s"] / row["bcanalysis s"]
    assert abs(row["speed-up"] - ratio) <= 0.5 + 0.01 * ratio  # rounded from the unrounded times
