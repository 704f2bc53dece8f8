"""The project's own files: environment.yml agrees with pyproject.toml, the CLI answers, the Makefile lists targets."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from bcanalysis import __version__

REPO = Path(__file__).resolve().parents[1]

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def _requirements(lines) -> dict[str, SpecifierSet]:
    """{normalised name: specifier set} of requirement strings, read by packaging (PEP 508), extras dropped."""
    out = {}
    for line in lines:
        req = Requirement(line)
        out[canonicalize_name(req.name)] = req.specifier
    return out


def test_environment_yml_agrees_with_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["name"] == project["name"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == ["-e .[dev]"]
    conda_reqs = _requirements(conda)
    assert conda_reqs.pop("python") == project["requires-python"]
    conda_reqs.pop("pip")
    # Dependencies conda-forge does not carry are declared pip-only in a comment; pip installs them via -e .[dev].
    pip_only = re.search(r"^# pip-only: (.*)$", (REPO / "environment.yml").read_text(), flags=re.M)
    pip_only_names = set(re.findall(r"[a-z0-9_.\-]+(?= \()", pip_only.group(1))) if pip_only else set()
    expected = _requirements(project["dependencies"])
    assert pip_only_names <= set(expected), f"pip-only names not in pyproject: {pip_only_names - set(expected)}"
    assert conda_reqs == {k: v for k, v in expected.items() if k not in pip_only_names}, (
        "environment.yml and pyproject.toml drifted apart"
    )


def _lower_bound(spec: SpecifierSet) -> Version | None:
    bounds = [Version(s.version) for s in spec if s.operator in (">=", "==", "~=")]
    return max(bounds) if bounds else None


def test_pyproject_pins_lower_bounds_the_code_needs():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = _requirements(project["dependencies"])
    assert all(_lower_bound(spec) for spec in reqs.values()), reqs
    needs = {"numpy": "2.0", "pandas": "2.0", "scikit-learn": "1.3", "pillow": "10.0"}  # APIs the code uses
    for name, version in needs.items():
        assert _lower_bound(reqs[name]) >= Version(version), f"{name}{reqs[name]} allows versions the code cannot use"


def test_the_installed_environment_satisfies_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for name, spec in _requirements(project["dependencies"]).items():
        installed = metadata.version(name)
        assert spec.contains(installed, prereleases=True), f"{name} {installed} is installed but pyproject wants {spec}"


def test_version_comparison_is_numeric_not_lexical():
    """What the lexical test got wrong: as strings, '>=1.10' sorts below '>=1.3' and '>=10.0' below '>=2.0'."""
    assert _lower_bound(SpecifierSet(">=1.10")) > _lower_bound(SpecifierSet(">=1.3"))
    assert ">=1.10" < ">=1.3"  # the old comparison would have called 1.10 too old
    assert not SpecifierSet(">=1.3").contains("1.2.9") and SpecifierSet(">=1.3").contains("1.10")


def test_version_and_help(cli):
    assert cli("--version").stdout.strip() == f"bcanalysis {__version__}"
    out = cli("--help").stdout
    assert "extract" in out and "usage: bcanalysis" in out


def test_make_help_lists_the_two_commands():
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "make demo" in out and "make test" in out and "make venv" in out


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```(?:\w+)?\n(.*?)```", text, flags=re.S)


def test_readme_is_short_and_opens_with_exactly_the_two_commands():
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    first = re.search(r"```(?:\w+)?\n(.*?)```", text, flags=re.S)
    assert first.group(1) == "make demo\nmake test\n"
    assert text.index("```") < text.index("\n## "), "the two commands come before the first section"


def _commands(path) -> list[list[str]]:
    """Every `bcanalysis …` line in a document's code blocks (shell style, comments dropped)."""
    import shlex

    out = []
    for block in _code_blocks(path.read_text()):
        for line in block.splitlines():
            command = re.split(r"\s[>|]\s", line.split("  #")[0])[0]  # no comment, redirection or pipe
            if command.startswith("bcanalysis ") and "[-" not in command and "…" not in command:  # not a synopsis
                out.append(shlex.split(command)[1:])
    return out


def test_every_command_the_readme_shows_parses():
    """Each command line the README shows is one the CLI accepts as written (flags, choices, values)."""
    from bcanalysis.cli import build_parser

    commands = _commands(REPO / "README.md") + _commands(REPO / "docs" / "reference.md")
    assert len(commands) >= 10
    parser = build_parser()
    for argv in commands:
        args = parser.parse_args(argv)  # exits (SystemExit) on anything the command would refuse
        assert hasattr(args, "run"), argv


def test_readme_and_reference_links_and_make_targets_exist():
    for doc in (REPO / "README.md", REPO / "docs" / "reference.md", REPO / "benchmarks" / "README.md"):
        text = doc.read_text()
        for target in re.findall(r"\]\(([^)#\s]+)[^)]*\)", text):
            if not target.startswith("http"):
                assert (doc.parent / target).exists(), f"{doc.name} links to {target}, which is not there"
    targets = set(re.findall(r"^([a-z-]+):", (REPO / "Makefile").read_text(), flags=re.M))
    shown = set(re.findall(r"`make ([a-z-]+)`", (REPO / "README.md").read_text())) | {"demo", "test"}
    assert shown <= targets, shown - targets
