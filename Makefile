# The two commands of the README: `make book` and `make test`. Each works on a fresh clone:
# it creates .venv when missing and installs requirements.txt (torch included) first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))

# Executed notebooks (build, tests, stored outputs) show no progress bars.
export NNLAB_PROGRESS := 0

.PHONY: help install book test lint unit nbval strict-build outputs bench clean

help:
	@echo "make book     execute every chapter and build the HTML site (_build/html)"
	@echo "make test     ruff, unit tests, nbval (strict) on every chapter, strict book build"
	@echo "make outputs  regenerate every stored notebook output from a fresh run (quick profile)"
	@echo "make bench    time the batched/vectorized paths against naive loops"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

# The site. NNLAB_PROFILE is left as the caller set it: unset means `auto`, i.e. the
# paper-scale `full` profile on a machine with a GPU and `quick` otherwise.
book: $(STAMP)
	$(BIN)/jupyter-book build . --builder html -W --keep-going
	@echo "The book: $(CURDIR)/_build/html/index.html"

test: $(STAMP)
	@NNLAB_PROFILE=quick $(BIN)/python .ci/stages.py lint unit nbval strict-build

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks book .ci

unit: $(STAMP)
	$(BIN)/python -m pytest tests

# Strict nbval: every stored output is compared (see nbval_sanitize.cfg for what is masked).
nbval: $(STAMP)
	NNLAB_PROFILE=quick $(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
		--nbval-sanitize-with nbval_sanitize.cfg -n 2 --dist loadfile $(NOTEBOOKS)

# Every chapter executed from scratch; a failing cell or any Sphinx warning fails the build.
strict-build: $(STAMP)
	NNLAB_PROFILE=quick $(BIN)/jupyter-book build . --builder html --all -W --keep-going

outputs: $(STAMP)
	NNLAB_PROFILE=quick $(BIN)/python .ci/execute_notebooks.py $(NOTEBOOKS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build
