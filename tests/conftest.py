"""Shared fixtures: paths to the peer reference data in ../shared (absent in a user's clone)."""

from __future__ import annotations

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
