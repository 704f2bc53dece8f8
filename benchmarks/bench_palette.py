"""Palette extraction against JPEG decoding and against colorgram.py, side by side in one run, per cover.

    .venv/bin/python benchmarks/bench_palette.py [--sizes 1200] [--repeat 15]

Four real photographs resized to a cover size and saved as JPEG (quality 90). Per cover, the fastest of `--repeat`
runs of: decoding the JPEG alone; our extraction of the decoded image with the compiled kernel (numba) and with the
numpy fallback; decode + extract from the JPEG bytes (a fresh decode each time, as a worker sees a cover) and so the
extraction's own cost after a fresh decode (difference of the two); colorgram.py once on the decoded image. Every
palette is checked identical to colorgram.py's (both kernels). Ratios are of times measured in this same run.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import statistics
import time

import colorgram
from PIL import Image
from skimage import data as skdata
from sklearn.datasets import load_sample_image

from bcanalysis import palette
from bcanalysis.palette import best_of, engine, same_palette

PHOTOS = {
    "china": lambda: load_sample_image("china.jpg"),
    "flower": lambda: load_sample_image("flower.jpg"),
    "astronaut": skdata.astronaut,
    "coffee": skdata.coffee,
}


def jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def installed_mb(*dists: str) -> float:
    """Megabytes the distributions' files take in this environment."""
    total = 0
    for dist in dists:
        for f in importlib.metadata.files(dist) or []:
            try:
                total += f.locate().stat().st_size
            except OSError:
                pass
    return total / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1200])
    ap.add_argument("--repeat", type=int, default=15, help="runs of each timing (colorgram.py: 1)")
    ap.add_argument("--colors", type=int, default=40)
    args = ap.parse_args()

    start = time.perf_counter()
    palette.bin_table()
    table_s = time.perf_counter() - start
    start = time.perf_counter()
    compiled = engine.numba_kernel() is not None
    if compiled:
        palette.extract(Image.new("RGB", (4, 4)), 1, kernel="numba")
    load_s = time.perf_counter() - start
    print(f"bin table: built in {table_s:.2f} s, {palette.bin_table().nbytes / 2**20:.0f} MiB")
    if compiled:
        print(
            f"numba {importlib.metadata.version('numba')} (llvmlite {importlib.metadata.version('llvmlite')}): "
            f"{installed_mb('numba', 'llvmlite'):.0f} MB installed; kernel imported and loaded (or compiled) in "
            f"{load_s:.2f} s"
        )
    kernels = palette.KERNELS if compiled else ("numpy",)
    print(
        f"{'size':>5} {'photo':>10} {'decode':>7} {'numba':>7} {'numpy':>7} {'dec+numba':>10} {'after dec':>10} "
        f"{'colorgram':>10} {'numba/dec':>10} {'cg/numba':>9} identical"
    )
    summary: dict[int, list[dict]] = {}
    for size in args.sizes:
        for name, load in PHOTOS.items():
            data = jpeg(Image.fromarray(load()).convert("RGB").resize((size, size), Image.Resampling.LANCZOS))
            image = decode(data)
            t0 = time.perf_counter()
            reference = colorgram.extract(image, args.colors)
            t_ref = time.perf_counter() - t0
            same = all(same_palette(palette.extract(image, args.colors, kernel=k), reference) for k in kernels)
            same = same and same_palette(palette.extract(data, args.colors), reference)
            if not same:
                raise SystemExit(f"outputs differ from colorgram.py on {name} at {size} px")
            t = {"photo": name, "colorgram": t_ref, "decode": best_of(lambda data=data: decode(data), args.repeat)}
            for k in kernels:
                t[k] = best_of(lambda image=image, k=k: palette.extract(image, args.colors, kernel=k), args.repeat)
            fast = kernels[0]
            t["both"] = best_of(lambda data=data, k=fast: palette.extract(data, args.colors, kernel=k), args.repeat)
            t["after"] = max(t["both"] - t["decode"], 0.0)
            summary.setdefault(size, []).append(t)
            print(
                f"{size:>5} {name:>10} {t['decode'] * 1e3:>7.1f} {t.get('numba', float('nan')) * 1e3:>7.1f} "
                f"{t['numpy'] * 1e3:>7.1f} {t['both'] * 1e3:>10.1f} {t['after'] * 1e3:>10.1f} "
                f"{t_ref * 1e3:>10.0f} {t[fast] / t['decode']:>10.2f} {t_ref / t[fast]:>8.0f}× {same}"
            )
    print("\nmedian over the photos, ms (README table):")
    print(
        "| cover | JPEG decode | extract (numba) | extract (numpy) | extract after a fresh decode | "
        "extract ÷ decode | colorgram.py | colorgram.py ÷ extract | identical |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size, runs in summary.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "photo"}
        ratio = statistics.median(r[kernels[0]] / r["decode"] for r in runs)
        speedup = statistics.median(r["colorgram"] / r[kernels[0]] for r in runs)
        print(
            f"| {size}×{size} | {med['decode'] * 1e3:.1f} | {med.get('numba', float('nan')) * 1e3:.1f} | "
            f"{med['numpy'] * 1e3:.1f} | {med['after'] * 1e3:.1f} | {ratio:.2f} | {med['colorgram'] * 1e3:.0f} | "
            f"{speedup:.0f}× | yes |"
        )


if __name__ == "__main__":
    main()
