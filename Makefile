# Operator entry points. `make` builds ./bin/trader and .venv; `make test` is
# what CI runs (.ci/run); `make bench` writes build/bench.json.
SHELL := /bin/bash
JOBS  ?= $(shell nproc)
VENV  := .venv
PY    := $(VENV)/bin/python
REL   := build/release
export SHARED_DIR ?= $(abspath $(CURDIR)/../shared)
ASAN  := build/asan

.PHONY: all deps venv trader asan test test-c test-asan test-py lint bench demo chaos soak fuzz fuzz-smoke clean

all: trader venv

deps:
	scripts/install_deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	scripts/install_deps.sh --python-only
	@touch $@

$(REL)/CMakeCache.txt:
	cmake -S . -B $(REL) -DCMAKE_BUILD_TYPE=Release >/dev/null

trader: $(REL)/CMakeCache.txt
	cmake --build $(REL) -j$(JOBS)
	@mkdir -p bin && cp --remove-destination $(REL)/bin/trader bin/trader

$(ASAN)/CMakeCache.txt:
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DTRADER_SANITIZE=ON >/dev/null

asan: $(ASAN)/CMakeCache.txt
	cmake --build $(ASAN) -j$(JOBS)

test: deps all asan
	$(MAKE) --no-print-directory test-c test-asan lint test-py fuzz-smoke

test-c:
	cd $(REL) && ctest --output-on-failure -j$(JOBS)

test-asan:
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

lint:
	$(VENV)/bin/ruff check python tests/python bench scripts fuzz
	$(VENV)/bin/mypy

test-py:
	TRADER_BIN=$(CURDIR)/bin/trader TRADER_RISK_LIB=$(CURDIR)/$(REL)/lib/libtraderrisk.so \
	  $(PY) -m pytest -q --durations=15
	@echo "== trader end-to-end tests again, on the ASan+UBSan binary =="
	TRADER_BIN=$(CURDIR)/$(ASAN)/bin/trader ASAN_OPTIONS=detect_leaks=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(PY) -m pytest -q tests/python/trader_e2e

bench: all
	$(PY) bench/run.py --out build/bench.json

# Chaos at length: the record's test (trader, recorder, Postgres, Redis killed -9 at random on
# the paper venue), then the whole stack on the simulators (python -m stack.chaos: CHAOS_RUNS
# seeded runs with kills, stops, faults; invariants after each; build/chaos/runs.jsonl).
chaos: all
	CHAOS_ITERATIONS=$${CHAOS_ITERATIONS:-500} CHAOS_SEED=$${CHAOS_SEED:-random} \
	  TRADER_BIN=$(CURDIR)/bin/trader $(PY) -m pytest -q -s tests/python/record/test_chaos.py
	PYTHONPATH=$(CURDIR)/python $(PY) -m stack.chaos --runs $${CHAOS_RUNS:-100} --seconds 30 \
	  --trader-bin $(CURDIR)/bin/trader --out build/chaos

# One hour of the demo stack at fast-forward, RSS and fds of every process (build/soak).
soak: all
	PYTHONPATH=$(CURDIR)/python $(PY) -m stack.soak --minutes $${SOAK_MINUTES:-60} \
	  --trader-bin $(CURDIR)/bin/trader --out build/soak

# libFuzzer campaigns (clang, build/fuzz): each target to FUZZ_RUNS executions or FUZZ_SECONDS.
FUZZ_SECONDS ?= 1800
FUZZ_RUNS ?= 10000000
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz.sh run

# A few seconds of each fuzz target over its seeds (part of make test).
fuzz-smoke:
	FUZZ_SMOKE_SECONDS=5 scripts/fuzz.sh smoke

demo: deps all
	$(PY) scripts/demo.py

clean:
	rm -rf build bin
