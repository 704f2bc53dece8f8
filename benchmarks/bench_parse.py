"""Album-page parsing on megabytes of unclosed tags (the stdlib HTML parser took 31 s on 60 kB of '<a ': quadratic).

For each unclosed shape and page size: the time of `parse_album_page` (which refuses such a page: BadPage) and the
reference measured in the same run, `page.count("<")`, one pass over the page in C, the least a parser must do.
Printed: milliseconds (fastest of --repeat), ours ÷ reference, and the exponent of ours against the previous size,
log(time ratio) / log(size ratio): linear work gives about 1 (and a flat ratio to the reference), quadratic 2.

    .venv/bin/python benchmarks/bench_parse.py --sizes 250000 500000 1000000 2000000
"""

from __future__ import annotations

import argparse
import math
import time

from bcanalysis.bandcamp import BadPage
from bcanalysis.bandcamp.album_page import parse_album_page

UNCLOSED = ("<a ", '<a class="tag">', "<script>", '<a b="', "<!--", "<a x=y ")


def best(fn, repeat: int) -> float:
    """Fastest of `repeat` calls, in seconds."""
    out = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - start)
    return out


def refused(page: str) -> None:
    """Parse a page that holds no album: BadPage is the answer expected, anything else is a wrong benchmark."""
    try:
        parse_album_page(page)
    except BadPage:
        return
    raise AssertionError("a page of unclosed tags was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 500_000, 1_000_000, 2_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"milliseconds, fastest of {args.repeat}; reference = page.count('<')")
    print(f"{'shape':>17} {'chars':>9} {'ours':>8} {'reference':>9} {'÷ ref':>6} {'exponent':>8}")
    for junk in UNCLOSED:
        before = None
        for size in sorted(args.sizes):
            page = junk * (size // len(junk))
            ours = best(lambda page=page: refused(page), args.repeat)
            ref = best(lambda page=page: page.count("<"), args.repeat)
            exponent = f"{math.log(ours / before[1]) / math.log(len(page) / before[0]):.2f}" if before else ""
            print(f"{junk!r:>17} {len(page):>9,} {ours * 1e3:>8.2f} {ref * 1e3:>9.3f} {ours / ref:>6.1f} {exponent:>8}")
            before = (len(page), ours)


if __name__ == "__main__":
    main()
