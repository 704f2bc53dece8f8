"""colorgram.py against bcanalysis.palette, side by side in one run, on real photographs at cover sizes.

    .venv/bin/python benchmarks/bench_palette.py [--sizes 700 1200] [--repeat 5]

Both extract 40 colours from the same decoded image; outputs are checked identical. Also times JPEG decoding alone
(the floor any extractor pays when it starts from a file) and decode + extract from the JPEG bytes.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import colorgram
from PIL import Image
from skimage import data as skdata
from sklearn.datasets import load_sample_image

from bcanalysis import palette

PHOTOS = {
    "china": lambda: load_sample_image("china.jpg"),
    "flower": lambda: load_sample_image("flower.jpg"),
    "astronaut": skdata.astronaut,
    "coffee": skdata.coffee,
}


def best_of(fn, repeat: int) -> float:
    """Fastest of `repeat` runs, in seconds (the least disturbed by other work on the machine)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[700, 1200])
    ap.add_argument("--repeat", type=int, default=5, help="runs of our extractor per image (colorgram.py: 1)")
    ap.add_argument("--colors", type=int, default=40)
    args = ap.parse_args()

    start = time.perf_counter()
    palette.bin_table()
    print(f"bin table: built in {time.perf_counter() - start:.2f} s, {palette.bin_table().nbytes / 2**20:.0f} MiB")
    print(f"{'size':>6} {'photo':>10} {'colorgram ms':>13} {'ours ms':>8} {'ratio':>7} {'ours Mpx/s':>11} "
          f"{'decode ms':>10} {'decode+ours':>12} {'identical':>9}")
    summary = {}
    for size in args.sizes:
        ratios, ours_all, ref_all, dec_all, both_all = [], [], [], [], []
        for name, load in PHOTOS.items():
            data = jpeg(Image.fromarray(load()).convert("RGB").resize((size, size), Image.Resampling.LANCZOS))
            image = decode(data)
            t0 = time.perf_counter()
            ref = colorgram.extract(image, args.colors)
            t_ref = time.perf_counter() - t0
            ours = palette.extract(image, args.colors)
            same = [(c.rgb, c.proportion) for c in ours] == [(c.rgb, c.proportion) for c in ref]
            t_ours = best_of(lambda image=image: palette.extract(image, args.colors), args.repeat)
            t_dec = best_of(lambda data=data: decode(data), args.repeat)
            t_both = best_of(lambda data=data: palette.extract(data, args.colors), args.repeat)
            mpx = size * size / 1e6
            print(f"{size:>6} {name:>10} {t_ref * 1e3:>13.0f} {t_ours * 1e3:>8.1f} {t_ref / t_ours:>6.0f}x "
                  f"{mpx / t_ours:>11.0f} {t_dec * 1e3:>10.1f} {t_both * 1e3:>12.1f} {str(same):>9}")
            if not same:
                raise SystemExit(f"outputs differ on {name} at {size} px")
            ratios.append(t_ref / t_ours)
            ours_all.append(t_ours)
            ref_all.append(t_ref)
            dec_all.append(t_dec)
            both_all.append(t_both)
        summary[size] = (statistics.median(ref_all), statistics.median(ours_all), statistics.median(ratios),
                         statistics.median(dec_all), statistics.median(both_all))
    print("\nmedian over photos (README table):")
    print("| cover | colorgram.py | bcanalysis | speed-up | bcanalysis Mpx/s | JPEG decode alone | decode + extract |")
    print("|---|---|---|---|---|---|---|")
    for size, (ref, ours, ratio, dec, both) in summary.items():
        print(f"| {size}×{size} | {ref * 1e3:.0f} ms | {ours * 1e3:.1f} ms | {ratio:.0f}× | "
              f"{size * size / 1e6 / ours:.0f} | {dec * 1e3:.1f} ms | {both * 1e3:.1f} ms |")


if __name__ == "__main__":
    main()
