# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint check-demo clean bench bench-quick fuzz native containers

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip

# Stamp files re-install when pyproject.toml changes.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/scada-emu run $(ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check emulator tests bench scenarios
	$(BIN)/ruff format --check emulator tests bench scenarios
	$(BIN)/mypy

test: $(VENV)/.installed-test lint native
	$(BIN)/python -m pytest

# The native CtAPI library, native/build/libctapi.so, and its C test suite (docs/native.md).
native:
	$(MAKE) -C native

# Benchmarks (not part of `make test`): docs/performance.md says what they measure.
bench: $(VENV)/.installed-bench native
	$(BIN)/python -m bench

bench-quick: $(VENV)/.installed-bench native
	$(BIN)/python -m bench --quick

# The long fuzz (not part of `make test`): a million frames per mode, or FUZZ="--duration 600".
# docs/reliability.md says what it tries and what counts as a failure.
FUZZ ?= --frames 1000000
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m tests.hardening.fuzz $(FUZZ)

# The demo plant as one container per computer (containers/, docs/containers.md); not part of
# `make test`: building the base image with debootstrap takes about two minutes.
containers: $(VENV)/.installed-test
	containers/check.sh $(BIN)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis native/build
