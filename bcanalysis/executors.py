"""Where parallel work runs when it does not run here: any `concurrent.futures.Executor`, or a `dask.distributed`
Client (not an Executor itself, but it hands one out and can send data to its workers once). The palettes job and
the topic sweep both take either, checked the same way."""

from __future__ import annotations

import concurrent.futures as cf
from typing import Any


def is_dask_client(executor: Any) -> bool:
    """Whether `executor` is a dask.distributed Client (duck-typed: dask need not be installed to ask)."""
    return not isinstance(executor, cf.Executor) and hasattr(executor, "get_executor") and hasattr(executor, "scatter")


def check_executor(executor: Any) -> Any:
    """`executor` if it is a concurrent.futures.Executor or a dask Client, else a TypeError naming it."""
    if isinstance(executor, cf.Executor) or is_dask_client(executor):
        return executor
    raise TypeError(f"executor must be a concurrent.futures.Executor or a dask.distributed.Client, got {executor!r}")
