# LeverageGuard Keeper — the README's two commands: `make demo` and `make test`.
# Both bootstrap what they need on a fresh Debian machine: the C libraries' -dev packages and the
# devnet's Python venv (pinned in devnet/requirements.txt).
SHELL := /bin/bash
VENV := devnet/.venv
PYTHON := $(abspath $(VENV))/bin/python
# librsvg2-bin: rsvg-convert, with which a test renders the report chart (DailyReportTests).
APT_PACKAGES := libcurl4-openssl-dev libsqlite3-dev libssl-dev pkg-config librsvg2-bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export LGK_PYTHON := $(PYTHON)

.PHONY: all bootstrap deps browser-deps venv build test demo chaos clean bench bench-index bench-cascade bench-deps fuzz

all: build

bootstrap: deps venv

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: devnet/requirements.txt
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r devnet/requirements.txt
	@touch $@

build: bootstrap
	swift build

# The console's browser tests (devnet/tests/test_console_browser.py): headless Chromium and its chromedriver,
# driven by Selenium (pinned in devnet/requirements.txt). Only `make test` needs them; `make demo` stays lean.
BROWSER_APT_PACKAGES := chromium chromium-driver

browser-deps:
	@missing=""; for p in $(BROWSER_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# At most 6 tests at once (Swift Testing otherwise starts every test together): on 2 cores the
# whole run takes as long either way, but each integration test then takes 40-80 s instead of
# 120-170 s, far inside its time limit (3-4 min) on a slower or busier machine.
test: bootstrap browser-deps
	swift build --build-tests
	swift test --skip-build --experimental-maximum-parallelization-width 6
	$(PYTHON) -m pytest -q devnet/tests

demo: bootstrap
	swift build
	./demo.sh

# The chaos run (issues 8 and 15; README "The chaos run"): 2,000 claims filed in cascades of 250 (each sent at
# once, landing within a few blocks), 200+ SIGKILLs, reorgs, RPC faults and OKX bursts, checked against the
# chain; long (today's keeper settles ~1 claim in 3 s), not part of `make test` (which runs a small one).
# CHAOS_ARGS adds to or overrides the defaults, e.g. CHAOS_ARGS="--seed 7", or the issue 8 run:
# CHAOS_ARGS="--claims 500 --users 20 --cascade-size 0".
CHAOS_ARGS ?=
chaos: bootstrap
	swift build
	$(PYTHON) devnet/chaos.py --claims 2000 --users 100 --cascade-size 250 --kills 200 --reorgs 20 --settle-timeout 7200 $(CHAOS_ARGS)

# Benchmarks (BENCHMARKS.md): release builds, figures printed as a table; not part of `make test`.
BENCH_APT_PACKAGES := time valgrind

bench-deps: deps
	@missing=""; for p in $(BENCH_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Issue 8, all in one run: indexing (keeper, SQLite ceiling, web3.py), verification core, claim-to-payment
# latency and resident memory; one summary table. BENCH_ARGS=--quick for a smoke run.
bench: bench-deps venv
	bench/run.sh $(BENCH_ARGS)

# Issue 15: a liquidation cascade, 1,000 claims from 200 traders filed within a few blocks; OKX answering in 150 ms
# and the node in 30 ms (devnet/latencyproxy.py), 1 s blocks, 2 confirmations, a USDT pool. Prints blocks and seconds
# to settle, OKX requests and 429s, transactions, gas per claim and the keeper's CPU time (bench/cascade.py).
# CASCADE_ARGS adds to or overrides the defaults, e.g. CASCADE_ARGS="--single" or "--claims 200 --traders 40".
CASCADE_ARGS ?=
bench-cascade: bootstrap
	swift build -c release --product lg-keeper
	$(PYTHON) bench/cascade.py --keeper "$$(swift build -c release --show-bin-path)/lg-keeper" $(CASCADE_ARGS)

# 1,000,000 logs from the replay server into lg-keeper, against the SQLite C API ceiling; BENCH_ARGS=--quick for 10,000.
bench-index: bench-deps
	bench/index.sh $(BENCH_ARGS)

# Fuzzing (issue 8): each decoder under libFuzzer + ASan for FUZZ_SECONDS (default 60); one line per
# target, non-zero exit on any crash. Not part of `make test`, which replays the corpora and regressions.
FUZZ_SECONDS ?= 60
export FUZZ_SECONDS

fuzz: deps
	Fuzz/fuzz.sh

clean:
	rm -rf .build .build-fuzz $(VENV)
