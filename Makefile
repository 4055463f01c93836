# Two commands on a fresh machine: `make report` and `make test`. Both create (or reuse) .venv and install
# segkit with its dependencies from pyproject.toml; nothing else needs to be run first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.segkit-installed
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
NOTEBOOKS := $(wildcard notebooks/*.ipynb)
# Test workers (pytest-xdist); each notebook and each test module runs on one worker.
WORKERS ?= 2

.PHONY: setup report test lint format notebooks sample-data bench docs clean training

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "segkit needs Python >= 3.11; run make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,docs]"
	@touch $(STAMP)

setup: $(STAMP)

## The main job on the bundled sample: reports/<as-of date>/ (pass more flags with ARGS="--force ...").
report: $(STAMP)
	$(BIN)/segkit report $(ARGS)

## Every test: lint, unit and property tests, doctests, real-data tests (skipped without ../shared/data),
## and nbval over the report notebooks.
test: $(STAMP)
	$(BIN)/ruff check segkit tests bench notebooks
	$(BIN)/ruff format --check segkit tests bench
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadscope $(NBVAL) tests segkit $(NOTEBOOKS) $(PYTEST_ARGS)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

lint: $(STAMP)
	$(BIN)/ruff check segkit tests bench notebooks

format: $(STAMP)
	$(BIN)/ruff check --fix segkit tests bench
	$(BIN)/ruff format segkit tests bench

## Re-execute the report notebooks in place on the bundled sample (their committed outputs are what nbval checks).
notebooks: $(STAMP)
	cd notebooks && for nb in *.ipynb; do ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace "$$nb" || exit 1; done

## The training lessons: learner and solution notebooks, English and Russian, from notebooks/training/src/*.lesson.
training: $(STAMP)
	$(BIN)/python -m segkit.training build

## Regenerate the committed sample data byte for byte.
sample-data: $(STAMP)
	$(BIN)/segkit sample-data data

## The documentation site into site/ (offline; the notebooks are rendered from their committed outputs).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build
	@echo "Documentation: site/index.html"

## Engine benchmark on synthetic parquet (bench/results/, git-ignored): SIZES=1m or SIZES=1m,10m.
SIZES ?= 1m,10m
bench: $(STAMP)
	$(BIN)/python bench/bench_engine.py --sizes $(SIZES)

## The pymc-marketing reference of the engine benchmark in its own environment (CPU only), pinned by
## bench/requirements-pymc.txt; bench/bench_engine.py finds it at SEGKIT_BENCH_PYMC (the same default).
SEGKIT_BENCH_PYMC ?= .venv-bench
export SEGKIT_BENCH_PYMC
.PHONY: bench-env
bench-env: $(SEGKIT_BENCH_PYMC)/.bench-env-installed

$(SEGKIT_BENCH_PYMC)/.bench-env-installed: bench/requirements-pymc.txt
	@test -x $(SEGKIT_BENCH_PYMC)/bin/python || $(PYTHON) -m venv $(SEGKIT_BENCH_PYMC)
	$(SEGKIT_BENCH_PYMC)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-pymc.txt
	$(SEGKIT_BENCH_PYMC)/bin/python -c "from pymc_marketing.clv.utils import rfm_summary"
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache site

## Screenshots of every page of a report (default: the latest in reports/) with headless Chromium, plus the
## structure check of each page: make screenshots REPORT=reports/2025-01-01 OUT=screenshots LANG_CHECK=ru
REPORT ?= $(lastword $(sort $(wildcard reports/[0-9]*)))
OUT ?= screenshots/$(notdir $(REPORT))
LANG_CHECK ?= en
.PHONY: screenshots
screenshots: $(STAMP)
	@test -n "$(REPORT)" || { echo "No report folder: run make report first, or pass REPORT=..."; exit 2; }
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { echo "Chromium is missing: apt-get install chromium"; exit 2; }
	$(BIN)/python -m segkit.report._screenshots $(REPORT) $(OUT) --lang $(LANG_CHECK)
