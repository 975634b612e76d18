# Two commands do everything: `make report` and `make test`.
# Only Python 3.11+ and pip are needed; the virtual environment lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= data/sample/calibrate.yaml
PYTEST_ARGS ?=
# test files are spread over this many processes (pytest-xdist; one file stays in one process): 1 = serial
PYTEST_WORKERS ?= 2

.PHONY: report test lint venv sample bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/calibrate run --config $(CONFIG)
	$(BIN)/calibrate run --config $(CONFIG) --lang en --run-name sample_en

# Every Python file is kept in ruff's format.
FORMATTED := src tests tools benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests tools benchmarks
	$(BIN)/ruff format --check $(FORMATTED)
	$(BIN)/mypy

sample: $(STAMP)
	$(BIN)/calibrate sample data/sample

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) reports/*/ reports/.*.partial-* .pytest_cache
