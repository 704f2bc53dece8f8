"""Model files: `<name>.json` (metadata) beside `<name>.npz` (arrays), written atomically and checked on load.

Nothing in a model file is trusted: the JSON must be the format and version we write, the arrays file a plain name
in the model's own folder, every array the name, dtype and shape the JSON and the other arrays imply, every value
finite, topic rows distributions, colours 0..255 in vocabulary order. Any failure is one `ModelFileError` naming
the file and what is wrong with it. Never pickle: `np.load(..., allow_pickle=False)`.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from bcanalysis.colorspace import pack_rgb
from bcanalysis.quantize import ALLOWED_BITS, SPACES

#: Bumped when the saved layout changes; `load` refuses other versions.
FORMAT_VERSION = 1
#: The format's name, written into every model file since version 1 (after the class's name then: it stays, so the
#: files keep loading).
FORMAT = "bcanalysis.ColorTopicModel"


class ModelFileError(ValueError):
    """A model file that cannot be read as a bcanalysis colour-topic model (the message names file and fault)."""


def write(model: Any, path: str | Path) -> Path:
    """Write a fitted `ColorTopics` as `<path>.json` and `<path>.npz` (each through a temporary file and a rename);
    returns the JSON path."""
    base = Path(path).with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"components": model.components_, "colors": model.colors_}
    arrays.update({f"state.{k}": np.asarray(v) for k, v in model.state_.items()})
    _atomic(base.with_suffix(".npz"), lambda f: np.savez_compressed(f, **arrays))
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "bits": model.bits,
        "space": model.space,
        "weighting": model.weighting,
        "engine": model.engine,
        "doc_topic_prior": model.doc_topic_prior_,
        "params": model.engine_params_,
        "meta": model.meta_,
        "arrays": base.with_suffix(".npz").name,
        "array_specs": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in arrays.items()},
    }
    text = json.dumps(meta, indent=1, default=_json_default, allow_nan=False)
    _atomic(base.with_suffix(".json"), lambda f: f.write(text.encode()))
    return base.with_suffix(".json")


def _atomic(path: Path, write_to) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write_to(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in model JSON")


def read(path: str | Path) -> dict[str, Any]:
    """The checked contents of a model file (either file's path) as `ColorTopics.from_topics` keyword arguments."""
    base = Path(path).with_suffix("")
    json_path = base.with_suffix(".json")
    try:
        with _open_regular(json_path) as f:
            meta = json.loads(f.read())
    except OSError as exc:
        raise ModelFileError(f"{json_path}: cannot read the model file: {exc.strerror or exc}") from exc
    except (ValueError, RecursionError) as exc:  # bad JSON or text, or nesting too deep to parse
        raise ModelFileError(f"{json_path}: not a model file (damaged JSON: {type(exc).__name__})") from exc
    meta = _check_meta(meta, json_path)
    arrays = _load_arrays(base.parent, meta["arrays"], json_path)
    _check_arrays(arrays, meta, json_path)
    state = {k.removeprefix("state."): v for k, v in arrays.items() if k.startswith("state.")}
    return {
        "components": arrays["components"],
        "colors": arrays["colors"].astype(np.uint8),
        "bits": meta["bits"],
        "weighting": meta["weighting"],
        "engine": meta["engine"],
        "doc_topic_prior": meta["doc_topic_prior"],
        "engine_params": meta["params"],
        "state": state,
        "meta": meta["meta"],
        "space": meta.get("space", "rgb"),
    }


def _open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading if it is a regular file: a FIFO would block `read` forever and a device never end,
    so either is an OSError (opened without blocking, checked on the open file, not on the name)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or folder)", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_meta(meta: Any, where: Path) -> dict[str, Any]:
    """The JSON's fields, each of the type and range we write (ModelFileError naming the first that is not)."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{where} is not a bcanalysis colour-topic model")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{where} has model format version {meta.get('format_version')!r}; this bcanalysis reads version "
            f"{FORMAT_VERSION}: refit the model (or use the bcanalysis that wrote it)"
        )
    from bcanalysis.topics.engines import ENGINES
    from bcanalysis.topics.vectorize import WEIGHTINGS

    checks = {
        "bits": lambda v: type(v) is int and v in ALLOWED_BITS,
        "weighting": lambda v: v in WEIGHTINGS,
        "engine": lambda v: v in ENGINES,
        "doc_topic_prior": lambda v: type(v) in (int, float) and math.isfinite(v) and v > 0,
        "params": lambda v: isinstance(v, dict),
        "meta": lambda v: isinstance(v, dict),
        "arrays": lambda v: isinstance(v, str),
    }
    for key, ok in checks.items():
        if key not in meta:
            raise ModelFileError(f"{where}: the model file has no {key!r}")
        if not ok(meta[key]):
            raise ModelFileError(f"{where}: bad {key!r} in the model file: {meta[key]!r}")
    if meta.get("space", "rgb") not in SPACES:
        raise ModelFileError(f"{where}: bad 'space' in the model file: {meta['space']!r}")
    specs = meta.get("array_specs")  # files written before it lack it; their arrays are still checked below
    if specs is not None and not (
        isinstance(specs, dict)
        and all(
            isinstance(s, dict) and isinstance(s.get("dtype"), str) and isinstance(s.get("shape"), list)
            for s in specs.values()
        )
    ):
        raise ModelFileError(f"{where}: bad 'array_specs' in the model file")
    _check_params(meta, where)
    return meta


def _check_params(meta: dict[str, Any], where: Path) -> None:
    """Engine options must be ones the engine takes (they are passed on when the model is used)."""
    if meta["engine"] == "sklearn":
        from sklearn.decomposition import LatentDirichletAllocation

        known = set(LatentDirichletAllocation().get_params())
    else:
        from bcanalysis.topics.gibbs import DEFAULTS

        known = set(DEFAULTS)
    unknown = set(meta["params"]) - known
    if unknown:
        raise ModelFileError(f"{where}: unknown {meta['engine']} options in the model file: {sorted(unknown)}")


def _load_arrays(folder: Path, name: str, where: Path) -> dict[str, np.ndarray]:
    """The arrays file, which must be a plain file name inside the model's folder."""
    npz = folder / name
    if Path(name).name != name or name in ("", ".", "..") or Path(name).is_absolute():
        raise ModelFileError(f"{where}: the arrays file {name!r} is not a file name in the model's folder")
    if npz.resolve().parent != folder.resolve():
        raise ModelFileError(f"{where}: the arrays file {name!r} leads outside the model's folder")
    try:
        with _open_regular(npz) as f, np.load(f, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except OSError as exc:
        raise ModelFileError(f"{npz}: cannot read the model's arrays: {exc.strerror or exc}") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged zip shows as BadZipFile, EOFError, zlib.error, ValueError …
        raise ModelFileError(f"{npz}: damaged model arrays ({type(exc).__name__}: {exc})") from exc


def _check_arrays(arrays: dict[str, np.ndarray], meta: dict[str, Any], where: Path) -> None:
    """Names, dtypes, shapes and values of the arrays, against the JSON and each other."""
    for name in ("components", "colors"):
        if name not in arrays:
            raise ModelFileError(f"{where}: the model's arrays have no {name!r}")
    odd = [k for k in arrays if k not in ("components", "colors") and not k.startswith("state.")]
    if odd:
        raise ModelFileError(f"{where}: unexpected arrays in the model: {odd}")
    specs = meta.get("array_specs")
    if specs is not None:
        if set(specs) != set(arrays):
            raise ModelFileError(
                f"{where}: the arrays {sorted(arrays)} are not the ones the JSON lists {sorted(specs)}"
            )
        for k, a in arrays.items():
            if str(a.dtype) != specs[k]["dtype"] or list(a.shape) != specs[k]["shape"]:
                raise ModelFileError(
                    f"{where}: array {k!r} is {a.dtype} {list(a.shape)}, the JSON says "
                    f"{specs[k]['dtype']} {specs[k]['shape']}"
                )
    comp, colors = arrays["components"], arrays["colors"]
    if comp.dtype.kind != "f" or comp.ndim != 2 or comp.shape[0] < 1 or comp.shape[1] < 1:
        raise ModelFileError(
            f"{where}: 'components' must be a non-empty float matrix, got {comp.dtype} {list(comp.shape)}"
        )
    if colors.dtype.kind not in "iu" or colors.shape != (comp.shape[1], 3):
        raise ModelFileError(
            f"{where}: 'colors' must be {comp.shape[1]} × 3 integers (one per column of "
            f"'components'), got {colors.dtype} {list(colors.shape)}"
        )
    if colors.size and (colors.min() < 0 or colors.max() > 255):
        raise ModelFileError(f"{where}: colours outside 0..255 (from {colors.min()} to {colors.max()})")
    codes = pack_rgb(colors)
    if (np.diff(codes) <= 0).any():
        raise ModelFileError(f"{where}: the colours are not a vocabulary (distinct, in hex-word order)")
    if not np.isfinite(comp).all():
        raise ModelFileError(f"{where}: 'components' holds NaN or infinite values")
    if (comp < 0).any() or not np.allclose(comp.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        raise ModelFileError(f"{where}: the topics in 'components' are not distributions (rows >= 0 summing to 1)")
    for k, a in arrays.items():
        if k.startswith("state.") and (a.dtype.kind not in "fiu" or not np.isfinite(a).all()):
            raise ModelFileError(f"{where}: array {k!r} must hold finite numbers")
    _check_state(arrays, meta, comp.shape, where)


def _check_state(arrays: dict[str, np.ndarray], meta: dict[str, Any], shape: tuple[int, int], where: Path) -> None:
    """An engine's saved state must be complete and fit the topics."""
    need = {}
    if meta["engine"] == "sklearn":
        need = {"state.components_": shape, "state.exp_dirichlet_component_": shape, "state.scalars": (5,)}
    if meta["weighting"] == "tfidf":
        need["state.idf"] = (shape[1],)
    for k, want in need.items():
        if k not in arrays:
            raise ModelFileError(f"{where}: the {meta['engine']} model's arrays have no {k!r}")
        if arrays[k].shape != want:
            raise ModelFileError(f"{where}: array {k!r} has shape {list(arrays[k].shape)}, expected {list(want)}")


def final_model_dir(cache_dir: str | Path, bits: int, n_topics: int) -> Path:
    """The folder where notebook 05 saves the final model of `bits` and `n_topics`, and notebook 06 reads it."""
    return Path(cache_dir) / f"final_{int(bits)}bit_{int(n_topics)}topics"
