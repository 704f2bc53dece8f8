"""The project's habits, read from its files: pre-commit runs ruff and nbstripout from .venv (nothing downloaded),
`make test-fast` leaves out the tests marked slow while `make test` runs them all, and the documents point at README
sections and benchmark scripts that exist, with commands whose flags those scripts take."""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _hooks() -> dict[str, dict]:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    return {hook["id"]: {**hook, "repo": repo["repo"]} for repo in config["repos"] for hook in repo["hooks"]}


def test_pre_commit_runs_ruff_ruff_format_and_nbstripout_from_the_venv():
    hooks = _hooks()
    assert set(hooks) == {"ruff", "ruff-format", "nbstripout"}
    assert all(h["repo"] == "local" and h["language"] == "system" for h in hooks.values()), "a hook would download"
    assert hooks["ruff"]["entry"].startswith(".venv/bin/ruff check")
    assert hooks["ruff-format"]["entry"].startswith(".venv/bin/ruff format")
    assert hooks["nbstripout"]["entry"] == ".venv/bin/nbstripout"
    files = re.compile(hooks["nbstripout"]["files"])
    notebooks = [p.relative_to(REPO).as_posix() for p in (REPO / "notebooks").glob("*.ipynb")]
    assert notebooks and all(files.search(n) for n in notebooks), "nbstripout must see every notebook"
    assert not files.search("bcanalysis/report/html.py")
    assert "pre-commit" in {re.split(r"[<>=;\[ ]", r)[0] for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}


def test_pre_commit_accepts_the_config_and_make_hooks_installs_it():
    recipe = subprocess.run(["make", "-n", "hooks"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "pre-commit install" in recipe
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([exe, "validate-config", ".pre-commit-config.yaml"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _recipe(target: str) -> list[str]:
    """The commands `make TARGET` runs after setting up .venv (make -n: printed, not run)."""
    out = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "ruff check" in line or "pytest" in line]


def test_test_fast_leaves_out_the_slow_tests_and_test_runs_everything():
    markers = PYPROJECT["tool"]["pytest"]["ini_options"]["markers"]
    assert any(m.startswith("slow:") for m in markers)
    assert "--strict-markers" in PYPROJECT["tool"]["pytest"]["ini_options"]["addopts"]  # a misspelt mark fails
    fast, full = _recipe("test-fast"), _recipe("test")
    assert [shlex.split(c)[1:] for c in fast] == [["check", "."], ["-m", "pytest", "-m", "not slow"]], fast
    assert [shlex.split(c)[1:] for c in full] == [["check", "."], ["-m", "pytest"]], full


def _headings(*docs: Path) -> set[str]:
    return {m.strip() for doc in docs for m in re.findall(r"^#+ (.+)$", doc.read_text(), flags=re.M)}


def test_readme_sections_the_code_names_exist():
    """A docstring or message saying "README, 'Section'" points at a heading of README.md or docs/reference.md."""
    headings = _headings(REPO / "README.md", REPO / "docs" / "reference.md")
    named = []
    for path in sorted((REPO / "bcanalysis").rglob("*.py")) + sorted(BENCHMARKS.glob("*.py")):
        for section in re.findall(r"README[,:]? [\"'“]([^\"'”]+)[\"'”]", path.read_text(encoding="utf-8")):
            named.append(section)
            assert section in headings, f"{path.relative_to(REPO)} names README section {section!r}: not there"
    assert named, "the pattern no longer finds the references it was written for"


def _flags(script: Path) -> set[str]:
    """The --flags a benchmark script's argparse takes, read from its source."""
    calls = [n for n in ast.walk(ast.parse(script.read_text())) if isinstance(n, ast.Call)]
    return {
        a.value
        for n in calls
        if getattr(n.func, "attr", "") == "add_argument"
        for a in n.args
        if isinstance(a, ast.Constant) and str(a.value).startswith("--")
    }


def test_benchmarks_readme_has_each_script_and_commands_they_take():
    text = (BENCHMARKS / "README.md").read_text()
    scripts = {p.name for p in BENCHMARKS.glob("bench_*.py")}
    sections = {h for h in _headings(BENCHMARKS / "README.md") if h.endswith(".py")}
    assert sections == scripts, f"no script: {sections - scripts}, no section: {scripts - sections}"
    commands = re.findall(r"\.venv/bin/python benchmarks/(\S+\.py)((?:\\\n|[^\n`#])*)", text)
    assert {name for name, _ in commands} == scripts, "every script's section shows the command behind its numbers"
    for name, args in commands:
        given = {a.split("=")[0] for a in shlex.split(args.replace("\\\n", " ")) if a.startswith("--")}
        assert given <= _flags(BENCHMARKS / name), f"{name} does not take {given - _flags(BENCHMARKS / name)}"


def test_benchmark_scripts_named_in_the_repo_exist():
    named = set()
    for path in [
        REPO / "README.md",
        *(REPO / "docs").glob("*.md"),
        *(REPO / "bcanalysis").rglob("*.py"),
        *Path(__file__).parent.glob("*.py"),
    ]:
        named |= {(path.name, m) for m in re.findall(r"\b(bench_[a-z_]+\.py)", path.read_text(encoding="utf-8"))}
    missing = sorted((where, name) for where, name in named if not (BENCHMARKS / name).is_file())
    assert not missing, f"(file, script) pairs naming a benchmark that is not in benchmarks/: {missing}"


@pytest.mark.parametrize("script", sorted(BENCHMARKS.glob("bench_*.py")), ids=lambda p: p.name)
def test_benchmark_scripts_import(script: Path):
    """Each script's imports still resolve after the package moved things (running them is `make bench`)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{script.stem}", script)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_the_repository_tracks_no_links_and_ignores_a_linked_venv():
    """A worktree's `.venv` link to the main checkout's venv slipped into a commit (the ignore rule matched only a
    directory); merging it replaced that venv with the link. No tracked links, and `.venv` ignored as a file too."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-s"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert not [line.split("\t", 1)[1] for line in listed.splitlines() if line.startswith("120000")]
    assert subprocess.run(["git", "check-ignore", "-q", "--no-index", ".venv"], cwd=REPO).returncode == 0
