# meta254 — analytics workbench for the 254Carbon Meta platform.
# `make` alone lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORKSPACE ?= data/sample
OUT ?= reports
# Keep every piece of Jupyter/IPython state inside the project, never in $HOME.
export JUPYTER_CONFIG_DIR := $(CURDIR)/.jupyter/config
export JUPYTER_DATA_DIR := $(CURDIR)/.jupyter/data
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.jupyter/runtime
export IPYTHONDIR := $(CURDIR)/.jupyter/ipython
export MPLCONFIGDIR := $(CURDIR)/.jupyter/mpl
export PYTHONHASHSEED := 0

.PHONY: help venv install dev report test fuzz lint format lab sample bench clean docs

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@# rfc3987-syntax (pulled in only by jupyterlab's jsonschema extras) costs ~1.3 s per nbformat import
	-$(BIN)/python -m pip uninstall -q -y rfc3987-syntax 2>/dev/null
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	-$(BIN)/python -m pip uninstall -q -y rfc3987-syntax 2>/dev/null
	touch $@

venv: $(VENV)/.installed ## Create .venv and install the package

install: venv ## Same as venv

dev: $(VENV)/.installed-dev ## Install the package with the dev extras

report: $(VENV)/.installed ## Render the weekly report from $(WORKSPACE) into $(OUT)/
	$(BIN)/meta254 report --workspace $(WORKSPACE) --out $(OUT)

test: $(VENV)/.installed-dev ## Run the whole test suite
	$(BIN)/python -m pytest

fuzz: $(VENV)/.installed-dev ## Property tests with random exploration and 10x the examples (not deterministic)
	META254_HYPOTHESIS_PROFILE=fuzz META254_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest -q \
		tests/test_fuzz.py $$(grep -rl "from hypothesis import" tests --include='test_*.py' | grep -v test_fuzz.py)

lint: $(VENV)/.installed-dev ## ruff check + format check
	$(BIN)/ruff check meta254lib tests
	$(BIN)/ruff format --check meta254lib tests

format: $(VENV)/.installed-dev ## Apply ruff formatting and fixes
	$(BIN)/ruff check --fix meta254lib tests
	$(BIN)/ruff format meta254lib tests

sample: $(VENV)/.installed ## Regenerate data/sample with the deterministic generator
	$(BIN)/meta254 sample --out data/sample

bench: $(VENV)/.installed ## Run the performance benchmark (10,000 services)
	$(BIN)/meta254 bench

$(VENV)/.installed-lab: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install -q -e '.[lab]'
	-$(BIN)/python -m pip uninstall -q -y rfc3987-syntax 2>/dev/null
	touch $@

lab: $(VENV)/.installed-lab ## Open the notebooks in JupyterLab (installs the [lab] extra once)
	$(BIN)/meta254 lab --notebooks notebooks

clean: ## Remove generated reports and caches (keeps .venv)
	rm -rf reports/*/ reports/latest .jupyter .pytest_cache .hypothesis

docs: $(VENV)/.installed ## Rewrite docs/tables.md from meta254lib/core/schema.py
	$(BIN)/python scripts/docs_tables.py
