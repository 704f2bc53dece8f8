"""Shared fixtures: paths to the peer reference data in ../shared (absent in a user's clone), the CLI as a function,
and a hang guard that fails naming what hung."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = REPO.parent / "shared" / "reference"


@pytest.fixture
def shared_reference() -> Path:
    """../shared/reference, or skip: a user's clone has no shared/ folder beside it."""
    if not SHARED_REFERENCE.is_dir():
        pytest.skip(f"peer reference data not found at {SHARED_REFERENCE} (only CI and developers have ../shared)")
    return SHARED_REFERENCE


def run_cli(*args: str, **kw) -> subprocess.CompletedProcess:
    """Run `bcanalysis ARGS…` in a fresh interpreter, as a user would from the shell."""
    return subprocess.run([sys.executable, "-m", "bcanalysis", *args], capture_output=True, text=True, **kw)


@pytest.fixture
def cli():
    """The `bcanalysis` command as a function: cli("extract", path) → CompletedProcess."""
    return run_cli


def returns_within(seconds: float, what: str, fn, *args):
    """fn(*args) in a fresh process: its result (its exception raised here), or pytest.fail naming `what` if it has
    not answered in `seconds`. A hang guard, set far above what the work takes: never a speed budget."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # leaving the block kills a worker still running
        answer = pool.apply_async(fn, args)
        try:
            return answer.get(seconds)
        except multiprocessing.TimeoutError:
            pytest.fail(f"{what}: no answer after {seconds:g} s, it hangs (a separate process, killed)", pytrace=False)


@pytest.fixture
def hang_guard():
    """returns_within as a fixture: hang_guard(120, "what", fn, *args) → fn(*args), or a failure naming what hung."""
    return returns_within
