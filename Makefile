# Every target bootstraps .venv with what it needs, so each works on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help demo conformance test test-all test-slow lint typecheck sync-face docs scan rerecord rerecord-check bench bench-emulator bench-fanout bench-import soak clean

help:
	@echo "make demo            the full Flex lifecycle against the embedded emulator"
	@echo "make conformance SUBSCRIPTION=<id> LOCATION=<region>"
	@echo "                     compare the emulator with real Azure (creates, then deletes; asks first)"
	@echo "make test            the test suite (cassette replay + emulator), offline"
	@echo "make test-slow       the exhaustive matrices marked slow, left out of make test"
	@echo "make test-all        both"
	@echo "make docs            build the documentation site (mkdocs --strict)"
	@echo "make bench           every benchmark (tables + bench/results/*.json)"
	@echo "make rerecord        re-record every cassette against a fresh emulator"
	@echo "make soak            the long reliability run (bench/results/soak.json)"
	@echo "make lint typecheck  ruff and mypy"
	@echo "make sync-face       regenerate the sync FlexScaleSet from the async one"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/flexvmss demo

# Both on the make command line: a variable from the environment never picks where money is spent.
conformance: $(STAMP)
ifneq ($(origin SUBSCRIPTION)/$(origin LOCATION),command line/command line)
	@echo "usage: make conformance SUBSCRIPTION=<subscription id> LOCATION=<region>" >&2
	@echo "(both on the command line; it creates, then deletes, Azure resources, and asks first)" >&2
	@exit 2
else
	$(BIN)/flexvmss conformance --subscription "$(SUBSCRIPTION)" --location "$(LOCATION)"
endif

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/python -m flexvmss.testing scan cassettes/

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m "slow or not slow"
	$(BIN)/python -m flexvmss.testing scan cassettes/

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy

sync-face: $(STAMP)
	$(BIN)/python scripts/gen_sync.py

docs: $(STAMP)
	$(BIN)/python scripts/gen_docs.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

scan: $(STAMP)
	$(BIN)/python -m flexvmss.testing scan cassettes/

CASSETTE_TESTS = $(shell grep -rl flexvmss_cassette tests --include='test_*.py' | grep -v testing_kit/test_plugin)

rerecord: $(STAMP)
	$(BIN)/python -m pytest -q --flexvmss-target=emulator --record-mode=rewrite $(CASSETTE_TESTS)
	$(BIN)/python -m flexvmss.testing scan cassettes/

rerecord-check: $(STAMP)
	bash scripts/rerecord_check.sh

bench: bench-import bench-emulator bench-fanout

bench-emulator: $(STAMP)
	$(BIN)/python bench/bench_emulator.py

bench-fanout: $(STAMP)
	$(BIN)/python bench/bench_fanout.py
	$(BIN)/python bench/bench_backends.py

bench-import: $(STAMP)
	$(BIN)/python bench/bench_import.py

soak: $(STAMP)
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache
