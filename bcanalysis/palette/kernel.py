"""The compiled inner loop of `histogram` (numba): every pixel's colour sums and count added to its bin, one pass.

Four copies of the 64 bins take pixels in turn, so a run of pixels in one bin is not one long chain of dependent
additions, and a bin of a copy is one 64-bit word: r | g << 18 | b << 36 | count << 54. A copy takes at most 1023
pixels between flushes into the int64 totals, so no field can carry into the next (1023 × 255 < 2^18, 1023 < 2^10).
About 1.5 ns a pixel here (the numpy path: ~10 ns).
"""

from __future__ import annotations

import numba
import numpy as np

#: Pixels between flushes: each of the 4 copies takes at most 1023 of them.
FLUSH = 4 * 1023


def _jit(fn):
    """Compile `fn` without the GIL, cached on disk when a cache folder is writable (else compiled per process)."""
    try:
        return numba.njit(nogil=True, cache=True)(fn)
    except RuntimeError:  # no writable place for numba's cache (e.g. a read-only install without a home folder)
        return numba.njit(nogil=True)(fn)


@_jit
def bin_sums(codes, table, out):  # pragma: no cover - compiled; tested through histogram()
    """Add r, g, b and 1 of every pixel to row `table[code]` of `out` (64 × 4 int64: r, g, b sums and count).

    `codes` are uint32 pixels r | g << 8 | b << 16 | anything << 24 (RGBX or RGBA bytes read little-endian).
    """
    acc = np.zeros(256, np.uint64)
    low24 = np.uint64(0xFFFFFF)
    r_mask, g_mask, b_mask = np.uint64(0xFF), np.uint64(0xFF00), np.uint64(0xFF0000)
    g_shift, b_shift, n_shift = np.uint64(10), np.uint64(20), np.uint64(54)
    one = np.uint64(1) << n_shift
    field = np.uint64((1 << 18) - 1)
    n = codes.size
    for start in range(0, n, FLUSH):
        stop = min(start + FLUSH, n)
        i = start
        while i + 4 <= stop:
            c0, c1 = np.uint64(codes[i]), np.uint64(codes[i + 1])
            c2, c3 = np.uint64(codes[i + 2]), np.uint64(codes[i + 3])
            acc[table[c0 & low24]] += (c0 & r_mask) | ((c0 & g_mask) << g_shift) | ((c0 & b_mask) << b_shift) | one
            acc[64 + table[c1 & low24]] += (c1 & r_mask) | ((c1 & g_mask) << g_shift) | ((c1 & b_mask) << b_shift) | one
            acc[128 + table[c2 & low24]] += (
                (c2 & r_mask) | ((c2 & g_mask) << g_shift) | ((c2 & b_mask) << b_shift) | one
            )
            acc[192 + table[c3 & low24]] += (
                (c3 & r_mask) | ((c3 & g_mask) << g_shift) | ((c3 & b_mask) << b_shift) | one
            )
            i += 4
        while i < stop:  # the last few pixels still take the copies in turn: none gets more than 1023
            c = np.uint64(codes[i])
            acc[((i - start) & 3) * 64 + table[c & low24]] += (
                (c & r_mask) | ((c & g_mask) << g_shift) | ((c & b_mask) << b_shift) | one
            )
            i += 1
        for j in range(256):
            word = acc[j]
            k = j & 63
            out[k, 0] += np.int64(word & field)
            out[k, 1] += np.int64((word >> np.uint64(18)) & field)
            out[k, 2] += np.int64((word >> np.uint64(36)) & field)
            out[k, 3] += np.int64(word >> n_shift)
            acc[j] = 0
