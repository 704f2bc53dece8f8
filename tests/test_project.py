"""The project's own files: environment.yml agrees with pyproject.toml, the CLI answers, the Makefile lists targets."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from bcanalysis import __version__

REPO = Path(__file__).resolve().parents[1]

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(>=\s*[0-9][^;,\s]*)?")


def _requirements(lines) -> dict[str, str | None]:
    out = {}
    for line in lines:
        m = REQ.match(line)
        out[m.group(1).lower().replace("_", "-")] = m.group(2).replace(" ", "") if m.group(2) else None
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


def test_pyproject_pins_lower_bounds_the_code_needs():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = _requirements(project["dependencies"])
    assert all(bound for bound in reqs.values()), reqs
    assert reqs["numpy"] == ">=2.0" and reqs["pandas"] == ">=2.0" and reqs["scikit-learn"] >= ">=1.3"


def test_version_and_help(cli):
    assert cli("--version").stdout.strip() == f"bcanalysis {__version__}"
    out = cli("--help").stdout
    assert "extract" in out and "usage: bcanalysis" in out


def test_make_help_lists_the_two_commands():
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "make demo" in out and "make test" in out and "make venv" in out


def test_readme_opens_with_the_two_commands():
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```(?:\w+)?\n(.*?)```", text, flags=re.S)
    assert blocks and blocks[0].split() == ["make", "demo", "make", "test"]
