# The two commands of the README: `make book` and `make test`. Each works on a fresh clone:
# it creates .venv when missing and installs requirements.txt (torch included) first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# MathJax, require.js and the ipywidgets renderer, served by the site itself (works offline).
VENDOR := book/_static/vendor/.fetched.json
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
# Bytecode is written on first import, into the venv (never next to the sources). Machines that
# set PYTHONDONTWRITEBYTECODE (this project's do) would otherwise recompile torch in every test
# worker and kernel; compiling the whole venv ahead (compileall) cost 34 s of the install.
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install book test lint unit nbval render strict-build browser chromium outputs full bench clean

help:
	@echo "make book     execute every chapter and build the HTML site (_build/html)"
	@echo "make test     ruff, unit tests, nbval (strict) on every chapter, site from the stored outputs, browser test"
	@echo "make browser  open every page of _build/html offline in headless Chromium; screenshots"
	@echo "make outputs  regenerate every stored notebook output from a fresh run (quick profile)"
	@echo "make full     run the chapters in the full profile; records in benchmarks/results/full/"
	@echo "make bench    time the batched/vectorized paths against naive loops"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	@touch $(STAMP)

# Pinned npm tarballs, SHA-256 checked, copied into book/_static/vendor/ (not committed).
$(VENDOR): .ci/fetch_static.py
	$(PYTHON) .ci/fetch_static.py

install: $(STAMP) $(VENDOR)

# The site. NNLAB_PROFILE is left as the caller set it: unset means `auto`, i.e. the
# paper-scale `full` profile on a machine with a GPU and `quick` otherwise.
book: $(STAMP) $(VENDOR)
	$(BIN)/jupyter-book build . --builder html -W --keep-going
	@echo "The book: $(CURDIR)/_build/html/index.html"

# Timed stage by stage (.ci/stages.py; the script needs only the standard library). The site's
# two stages run beside unit + nbval: they render the stored outputs (not nbval's run) and the
# browser mostly waits on Chromium, so they fill the cores nbval leaves idle. (Measured on a
# fresh clone, 2 cores: this order 484 s; nbval beside unit, render and browser 521 s, since five
# busy processes on two cores cost 12 % more CPU; one stage after another about 528 s.)
test:
	@NNLAB_PROFILE=quick $(PYTHON) .ci/stages.py install lint "unit nbval | render browser"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks book .ci

# Work stealing, not one file per worker: the three scratch-book builds of test_build_config.py
# (20 s) would otherwise hold one worker while the other idles (measured: 45 s vs 58 s).
unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal tests

# Strict nbval: every stored output is compared (see nbval_sanitize.cfg for what is masked;
# pyproject.toml passes it, so a plain `pytest --nbval book/` checks the same). It runs torch on
# its portable instruction path while `make outputs` records on the native one, so one run
# shows that the stored outputs hold on another CPU too.
# Longest chapter first (times recorded by `make outputs`; xdist would otherwise order them by
# cell count and start the longest chapter last), so the two workers finish close together.
NBVAL_ORDER = $(shell $(PYTHON) -c 'import json; t = {n["notebook"]: n["wall_s"] for n in json.load(open("benchmarks/results/chapters-quick.json"))["notebooks"]}; print(*sorted("$(NOTEBOOKS)".split(), key=lambda n: -t.get(n, 1e9)))' 2>/dev/null || echo $(NOTEBOOKS))
nbval: $(STAMP)
	ATEN_CPU_CAPABILITY=default NNLAB_PROFILE=quick $(BIN)/python -m pytest --nbval -n 2 --dist loadfile \
		--no-loadscope-reorder $(NBVAL_ORDER)

# The site from the stored outputs (nbval has just shown they equal a fresh run), with every
# Sphinx warning an error: what `make test` builds instead of executing every chapter again.
render: $(STAMP) $(VENDOR)
	$(BIN)/python .ci/render_config.py _config.yml _build/_config.render.yml
	$(BIN)/jupyter-book build . --config _build/_config.render.yml --builder html --all -W --keep-going

# Every chapter executed from scratch; a failing cell or any Sphinx warning fails the build.
strict-build: $(STAMP) $(VENDOR)
	NNLAB_PROFILE=quick $(BIN)/jupyter-book build . --builder html --all -W --keep-going

# Every page of the built site in headless Chromium with the network blocked: console errors,
# broken images, un-typeset formulas, blank widget areas, missing figures fail (tests/browser).
# Reuses _build/html (building it when missing); screenshots in _build/screenshots/. Two workers,
# each with its own Chromium (the pages are independent); report.txt merges their reports.
browser: $(STAMP) $(VENDOR) chromium
	@test -f _build/html/index.html || $(MAKE) --no-print-directory render
	NNLAB_BROWSER=1 $(BIN)/python -m pytest -n 2 --dist load tests/browser
	@echo "Screenshots and per-page report: $(CURDIR)/_build/screenshots/"

# Debian's chromium (the browser test drives it with Playwright, which downloads no browser).
chromium:
	@command -v chromium >/dev/null || { SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y chromium; }
	@command -v chromium >/dev/null || { echo "chromium is missing and could not be installed"; exit 1; }

# Also records each chapter's wall and kernel CPU time (shown on the performance page).
outputs: $(STAMP)
	NNLAB_PROFILE=quick $(BIN)/python .ci/execute_notebooks.py --times benchmarks/results/chapters-quick.json \
		$(NOTEBOOKS)
	$(BIN)/python benchmarks/run.py --render

# The paper-scale `full` profile (each chapter <= 5 min on one GPU; on a 2-core CPU from half an
# hour to many hours): each run is stored, text and claims only, in benchmarks/results/full/,
# and the reproduction ledger shows its values beside the quick ones. CHAPTERS picks chapters.
CHAPTERS ?= $(NOTEBOOKS)
full: $(STAMP)
	NNLAB_PROFILE=full $(BIN)/python .ci/execute_notebooks.py --out benchmarks/results/full $(CHAPTERS)

# Library path vs naive loop, medians and ratios; on a GPU when there is one. Writes
# benchmarks/results/<device>.json and benchmarks.md (the performance page's tables).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf _build
