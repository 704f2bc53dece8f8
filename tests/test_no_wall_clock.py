"""No test asserts how long something took: timings belong in benchmarks/ (which print ratios against a reference
measured in the same run), never in tests on a shared machine, where they fail at random.

Read from the source: an `assert` may not hold a clock reading (time.time, monotonic, perf_counter, process_time)
nor a name computed from one earlier in the same function. A clock may still bound a wait (a deadline loop, or
conftest's hang_guard, which fails naming what hung). Nor may a test carry a timeout tighter than the suite's hang
guard (pyproject.toml's `timeout`): `@pytest.mark.timeout(20)` on work that takes a second is a speed budget."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

TESTS = Path(__file__).resolve().parent
SUITE_TIMEOUT = tomllib.loads((TESTS.parent / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["timeout"]
CLOCKS = {"time", "monotonic", "perf_counter", "process_time", "monotonic_ns", "perf_counter_ns", "time_ns"}


def _reads_clock(node: ast.AST, tainted: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            fn = sub.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            owner = fn.value.id if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) else ""
            if name in CLOCKS and owner in ("time", ""):
                return True
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
    return False


def wall_clock_asserts(source: str) -> list[int]:
    """Line numbers of asserts that read a clock, directly or through a name assigned from one."""
    found = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        tainted: set[str] = set()
        changed = True  # names assigned from a clock, or from such a name: to a fixpoint, whatever the order
        while changed:
            changed = False
            for node in ast.walk(fn):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                    if _reads_clock(node.value, tainted):
                        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                        for t in targets:
                            for name in ast.walk(t):
                                if isinstance(name, ast.Name) and name.id not in tainted:
                                    tainted.add(name.id)
                                    changed = True
        found += [n.lineno for n in ast.walk(fn) if isinstance(n, ast.Assert) and _reads_clock(n.test, tainted)]
    return sorted(set(found))


def tight_timeouts(source: str, suite: float) -> list[int]:
    """Line numbers of `pytest.mark.timeout(N)` (on a test or as pytestmark) with N not a number ≥ the suite's."""
    found = []
    for node in ast.walk(ast.parse(source)):
        fn = node.func if isinstance(node, ast.Call) else None
        if isinstance(fn, ast.Attribute) and fn.attr == "timeout" and getattr(fn.value, "attr", "") == "mark":
            given = node.args[:1] or [k.value for k in node.keywords if k.arg == "timeout"]
            seconds = given[0].value if given and isinstance(given[0], ast.Constant) else None
            if not isinstance(seconds, (int, float)) or seconds < suite:
                found.append(node.lineno)
    return found


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda p: p.name)
def test_no_assert_reads_a_clock(path: Path) -> None:
    lines = wall_clock_asserts(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.name}: wall-clock assertions at lines {lines}; time it in benchmarks/ instead"


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda p: p.name)
def test_no_test_has_a_time_budget(path: Path) -> None:
    lines = tight_timeouts(path.read_text(encoding="utf-8"), SUITE_TIMEOUT)
    assert not lines, (
        f"{path.name}: timeouts below the suite's {SUITE_TIMEOUT} s at lines {lines}; time it in "
        "benchmarks/, guard a hang with conftest's hang_guard"
    )


def test_the_check_sees_the_forms_it_forbids() -> None:
    bad = """
import time
def test_a():
    start = time.perf_counter()
    work()
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.2
def test_b():
    t0 = time.monotonic()
    assert time.monotonic() - t0 >= 0.19
def test_c():
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pass
    assert done()
"""
    assert wall_clock_asserts(bad) == [7, 10]  # the deadline loop of test_c is allowed


def test_the_timeout_check_sees_the_budget_it_forbids() -> None:
    removed = """
import pytest
pytestmark = pytest.mark.timeout(5)
@pytest.mark.timeout(20)
def test_page_parsing_is_linear_in_the_page_size():
    parse_album_page("<a " * 666_666)
@pytest.mark.timeout(timeout=1200)
def test_a_long_sweep():
    pass
"""
    assert tight_timeouts(removed, 600) == [3, 4]  # raising the limit for a long test is not a budget
