"""Issue 10: no input to `fit` or `sweep` ends the process; model files are checked on load; damaged cache entries
are refitted. The engine cases run in a child process, so a crash in C++ fails the test instead of killing pytest."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from bcanalysis import topics
from bcanalysis.topics import ModelFileError

# (call, keyword arguments, pattern the error must match: the argument and its value); `fit` is
# `ColorTopics(bits=9, n_topics=2, **kwargs).fit(palettes)`. Each must raise ValueError or TypeError, never crash.
ENGINE_CASES = [
    ("fit", "engine_options={'max_iter': 0}", "max_iter.*got 0"),  # segfaulted (exit 139)
    ("fit", "engine_options={'max_iter': -3}", "max_iter.*got -3"),
    ("fit", "engine_options={'max_iter': 2.5}", "max_iter.*got 2.5"),
    ("fit", "engine_options={'min_iter': 0}", "min_iter.*got 0"),
    ("fit", "engine_options={'alpha': -1}", "alpha.*got -1"),  # aborted (exit 134)
    ("fit", "engine_options={'alpha': 0}", "alpha.*got 0"),
    ("fit", "engine_options={'alpha': float('nan')}", "alpha.*got nan"),
    ("fit", "engine_options={'alpha': float('inf')}", "alpha.*got inf"),
    ("fit", "engine_options={'alpha': 1e-300}", "alpha.*got 1e-300"),  # 0 in tomotopy's single precision: aborted
    ("fit", "engine_options={'eta': 0}", "eta.*got 0"),  # aborted
    ("fit", "engine_options={'eta': -0.5}", "eta.*got -0.5"),
    ("fit", "engine_options={'eta': 1e-300}", "eta.*got 1e-300"),
    ("fit", "engine_options={'tol': -1}", "tol.*got -1"),
    ("fit", "engine_options={'tol': float('nan')}", "tol.*got nan"),
    ("fit", "engine_options={'init': 'kmeans'}", "init.*got 'kmeans'"),
    ("fit", "engine_options={'bogus': 1}", "bogus"),
    ("fit", "engine_options=[('max_iter', 5)]", "engine_options.*max_iter"),
    ("fit", "engine='sklearn', engine_options={'learning_method': 'sideways'}", "learning_method.*sideways"),
    ("fit", "random_state=-1", "random_state.*got -1"),
    ("fit", "random_state=1.5", "random_state.*got 1.5"),
    ("fit", "n_restarts=True", "n_restarts.*got True"),
    ("fit", "n_topics='3'", "n_topics.*got '3'"),
    ("fit", "space='lab'", "space.*got 'lab'"),
    ("fit", "bits=13", "bits.*got 13"),
    ("sweep", "engine_options={'max_iter': 0}", "max_iter.*got 0"),
    ("sweep", "engine_options={'alpha': -1}", "alpha.*got -1"),
    ("sweep", "engine_options={'eta': 0}", "eta.*got 0"),
    ("sweep", "random_state=-1", "random_state.*got -1"),
    ("sweep", "n_restarts=0", "n_restarts.*got 0"),
    ("sweep", "n_jobs=0", "n_jobs.*got 0"),
    ("sweep", "n_jobs=1.5", "n_jobs.*got 1.5"),
    ("sweep", "heldout=float('nan')", "heldout.*got nan"),
    ("sweep", "heldout=1", "heldout.*got 1"),
    ("sweep", "executor='cluster'", "executor"),
]


@pytest.mark.slow
def test_bad_engine_options_are_errors_not_crashes():
    script = textwrap.dedent(f"""
        import warnings
        warnings.filterwarnings("ignore")
        from bcanalysis import topics
        palettes = topics.planted_palettes(60, 2, random_state=0).palettes
        for call, kwargs, _ in {ENGINE_CASES!r}:
            print("CASE", call, kwargs, flush=True)
            try:
                if call == "fit":
                    eval(f"topics.ColorTopics(**dict(dict(bits=9, n_topics=2), {{kwargs}})).fit(palettes)")
                else:
                    eval(f"topics.sweep(palettes, **dict(dict(bits=9, n_topics=[2], progress=False, n_jobs=1), "
                         f"{{kwargs}}))")
            except (ValueError, TypeError) as exc:
                print("ERROR", type(exc).__name__, exc, flush=True)
            else:
                print("NO ERROR", flush=True)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, f"the process died ({proc.returncode}) after {lines[-1:]}: {proc.stderr[-500:]}"
    results = [line for line in lines if line.startswith(("ERROR", "NO ERROR"))]
    assert len(results) == len(ENGINE_CASES)
    for (call, kwargs, pattern), line in zip(ENGINE_CASES, results, strict=True):
        assert line.startswith("ERROR") and re.search(pattern, line), (call, kwargs, line)


def test_extreme_but_valid_options_still_fit():
    palettes = topics.planted_palettes(200, 3, random_state=1).palettes
    for kw in ({"alpha": 1e-30, "eta": 1e-30}, {"alpha": 1e30}, {"min_iter": 1, "max_iter": 1}, {"tol": 0.0}):
        model = topics.ColorTopics(bits=9, n_topics=2, random_state=0, engine_options=kw).fit(palettes)
        assert np.isfinite(model.components_).all() and np.allclose(model.components_.sum(axis=1), 1), kw


# --- model files -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> topics.ColorTopics:
    palettes = topics.planted_palettes(300, 3, random_state=2).palettes
    return topics.ColorTopics(bits=9, n_topics=3, random_state=0).fit(palettes)


def _saved(model, tmp_path, **arrays):
    """Save `model`, then overwrite some of its arrays (keeping the JSON as written)."""
    path = model.save(tmp_path / "m")
    if arrays:
        with np.load(path.with_suffix(".npz")) as z:
            current = {k: z[k] for k in z.files}
        current.update(arrays)
        np.savez(path.with_suffix(".npz"), **current)
    return path


def _edit_json(path, **changes):
    meta = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    path.write_text(json.dumps(meta))


def _refused(path, match: str):
    with pytest.raises(ModelFileError, match=match) as info:
        topics.ColorTopics.load(path)
    assert str(path.with_suffix("")) in str(info.value)  # names the file


def test_nan_components_are_refused(model, tmp_path):
    comp = model.components_.copy()
    comp[0, 0] = np.nan
    path = _saved(model, tmp_path, components=comp)
    _edit_json(path, array_specs=None)  # an older file: no specs, the values are still checked
    _refused(path, "NaN")


def test_colours_above_255_are_refused(model, tmp_path):
    colors = model.colors_.astype(np.int64)
    colors[-1] = (300, 0, 0)
    path = _saved(model, tmp_path, colors=colors)
    _edit_json(path, array_specs=None)
    _refused(path, "0..255")


def test_wrong_shapes_are_refused(model, tmp_path):
    path = _saved(model, tmp_path, colors=model.colors_[:-1])
    _refused(path, "colors")  # against the JSON's specs
    _edit_json(path, array_specs=None)
    _refused(path, "colors")  # against the topics


def test_arrays_that_disagree_with_the_json_are_refused(model, tmp_path):
    path = _saved(model, tmp_path, components=model.components_.astype(np.float32))
    _refused(path, "JSON says")


def test_rows_that_are_not_distributions_are_refused(model, tmp_path):
    path = _saved(model, tmp_path, components=model.components_ * 2)
    _refused(path, "distributions")


@pytest.mark.parametrize("arrays", ["/etc/passwd", "../m.npz", "sub/m.npz", ".."])
def test_arrays_outside_the_models_folder_are_refused(model, tmp_path, arrays):
    (tmp_path / "sub").mkdir(exist_ok=True)
    model.save(tmp_path / "m")  # a real model one level up, which "../m.npz" would read
    path = model.save(tmp_path / "sub" / "m")
    _edit_json(path, arrays=arrays)
    _refused(path, "arrays file")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "damaged JSON"),
        ("[1, 2]", "not a bcanalysis"),  # was AttributeError
        ("[" * 100_000 + "]" * 100_000, "damaged JSON"),  # was RecursionError
        ("\udcff", "damaged JSON"),
    ],
)
def test_damaged_json_is_refused(model, tmp_path, text, match):
    path = model.save(tmp_path / "m")
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    _refused(path, match)


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("bits", "12", "bits"),  # was TypeError later
        ("weighting", 3, "weighting"),
        ("doc_topic_prior", -1, "doc_topic_prior"),
        ("params", {"max_iter": 5, "os.system": 1}, "unknown"),
        ("arrays", None, "no 'arrays'"),
        ("array_specs", {"components": "x"}, "array_specs"),
    ],
)
def test_bad_fields_are_refused(model, tmp_path, key, value, match):
    path = model.save(tmp_path / "m")
    _edit_json(path, **{key: value})
    _refused(path, match)


def test_damaged_arrays_are_refused(model, tmp_path):
    path = model.save(tmp_path / "m")
    npz = path.with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])  # was BadZipFile
    _refused(path, "damaged model arrays")
    npz.unlink()
    _refused(path, "cannot read")
    path.unlink()
    _refused(path, "cannot read")


def test_a_good_file_from_before_array_specs_still_loads(model, tmp_path):
    path = model.save(tmp_path / "m")
    _edit_json(path, array_specs=None)
    again = topics.ColorTopics.load(path)
    assert np.array_equal(again.components_, model.components_) and np.array_equal(again.colors_, model.colors_)


# --- the sweep cache ---------------------------------------------------------------------------------------


def test_a_damaged_cache_entry_is_refitted_and_overwritten(tmp_path):
    palettes = topics.planted_palettes(300, 3, random_state=3).palettes
    kw = dict(bits=(9,), n_topics=[2, 3], random_state=0, cache_dir=tmp_path, n_jobs=1, progress=False)
    first = topics.sweep(palettes, **kw)
    victim = sorted(tmp_path.glob("b9-k3-*.npz"))[0]
    victim.write_bytes(victim.read_bytes()[:100])  # a truncated .npz crashed the sweep
    with pytest.warns(UserWarning, match=f"refitting it: .*{victim.name}"):
        again = topics.sweep(palettes, **kw)
    assert list(again.table["cached"]) == [True, False]  # n=2 from the cache, n=3 refitted
    assert np.array_equal(again.model(9, 3).components_, first.model(9, 3).components_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overwritten: the third sweep reads every entry
        third = topics.sweep(palettes, **kw)
    assert third.table["cached"].all()
