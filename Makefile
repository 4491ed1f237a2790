# Two commands do all set-up on a fresh machine (only Python needed):
#   make demo   — rehearse pieces/mark_sat.yaml against the bundled human recording
#   make test   — ruff, mypy, lint-imports and the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench lock clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the CPU build of torch first, pinned: an unpinned torch would pull gigabytes of CUDA
	$(BIN)/pip install -q torch==2.13.0
	# the versions the tests last passed with (constraints.txt, written by `make lock`)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/conductor rehearse pieces/mark_sat.yaml --human examples/mark_human.mid --out takes/demo.mid --seed 1

lint: $(STAMP)
	$(BIN)/ruff check conductor tests bench
	$(BIN)/ruff format --check conductor tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports  # the layers and no import cycles (contracts in pyproject.toml)

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

lock: $(STAMP)
	$(BIN)/python bench/lock.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
