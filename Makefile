# Two commands on a fresh machine: `make report` and `make test`. Both create (or reuse) .venv and install
# segkit with its dependencies from pyproject.toml; nothing else needs to be run first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.segkit-installed
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
NOTEBOOKS := $(wildcard notebooks/*.ipynb)

.PHONY: setup report test lint format notebooks sample-data bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "segkit needs Python >= 3.11; run make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
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
	$(BIN)/python -m pytest $(NBVAL) tests segkit $(NOTEBOOKS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check segkit tests bench notebooks

format: $(STAMP)
	$(BIN)/ruff check --fix segkit tests bench
	$(BIN)/ruff format segkit tests bench

## Re-execute the report notebooks in place on the bundled sample (their committed outputs are what nbval checks).
notebooks: $(STAMP)
	cd notebooks && for nb in *.ipynb; do ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace "$$nb" || exit 1; done

## Regenerate the committed sample data byte for byte.
sample-data: $(STAMP)
	$(BIN)/segkit sample-data data

## Engine benchmark on synthetic parquet (bench/results/, git-ignored): SIZES=1m or SIZES=1m,10m.
SIZES ?= 1m,10m
bench: $(STAMP)
	$(BIN)/python bench/bench_engine.py --sizes $(SIZES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
