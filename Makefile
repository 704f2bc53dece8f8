# bcanalysis — `make demo` runs the main job offline, `make test` runs the checks. Both set up .venv/ first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv demo test test-fast lint hooks bench clean lab kernel

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "bcanalysis needs Python >= 3.10, found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) ## create or update .venv/ (idempotent; seconds when nothing changed)

demo: venv ## the main job, offline: demo server → scrape → palettes → quantise → sweep → final → reports/index.html
	$(PY) -m bcanalysis report --source demo --out reports

test: venv ## ruff (lint and format) + the whole test suite (~20 min on 2 cores)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

test-fast: venv ## ruff (lint and format) + the tests not marked slow (under 2 min; `make test` before merging)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -m "not slow"

lint: venv ## ruff only (lint, and the format check: `ruff format .` fixes it)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

hooks: venv ## install the git pre-commit hooks (.pre-commit-config.yaml: ruff, nbstripout; local, no download)
	$(VENV)/bin/pre-commit install

bench: venv ## speed benchmarks (ratios against the reference, measured in the same run)
	$(PY) benchmarks/bench_palette.py
	$(PY) benchmarks/bench_parse.py
	$(PY) benchmarks/bench_scale.py

kernel: venv ## register .venv as the Jupyter kernel "Python (bcanalysis)"
	$(PY) -m ipykernel install --sys-prefix --name bcanalysis --display-name "Python (bcanalysis)"

lab: kernel ## JupyterLab on notebooks/ with the project's kernel (LAB_ARGS="--port 8890" to pass options)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean: ## remove the venv and generated data
	rm -rf $(VENV) data reports/*.html
