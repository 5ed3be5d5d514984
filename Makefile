# rocketmq-py: the one entry point. `make demo` and `make test` are the contract (README).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

VENV        ?= .venv
PY          := $(VENV)/bin/python
PIP         := $(VENV)/bin/pip
MATURIN     := $(VENV)/bin/maturin
PYTEST      := $(VENV)/bin/pytest
PYBIND      := bindings/python
CARGO       ?= cargo
PYTHON      ?= python3
DEV_PACKAGES := "maturin>=1.8,<2" "pytest>=8" "pytest-timeout>=2.3" "mypy>=1.10" "ruff>=0.5"

# Cargo's target dir (CARGO_TARGET_DIR when set, as cargo and maturin use it).
TARGET_DIR  := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export RMQ_TESTKIT_BIN_DEBUG   := $(TARGET_DIR)/debug/rmq-testkit
export RMQ_TESTKIT_BIN_RELEASE := $(TARGET_DIR)/release/rmq-testkit

.PHONY: help demo test test-rust test-python bench lint fmt venv broker dev-build release-build clean-venv

help:
	@echo "make demo   - install what is missing, start a local name server + broker, send through Python, stop"
	@echo "make test   - every test (Rust and Python) against a real broker"
	@echo "make bench  - end-to-end benchmarks against a local broker (Python vs Rust core)"
	@echo "make lint   - rustfmt, clippy -D warnings, ruff, mypy"
	@echo "make chaos  - fault scenarios on a 2+2 cluster; writes the table into docs/reliability.md"
	@echo "make fuzz   - cargo-fuzz targets (nightly) for FUZZ_SECONDS each from the golden frames"

# --- setup -------------------------------------------------------------------------------
$(VENV)/.ready:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet $(DEV_PACKAGES)
	touch $@

venv: $(VENV)/.ready

broker:
	scripts/install-broker.sh

dev-build: venv
	$(CARGO) build -p rocketmq-testkit --bin rmq-testkit
	$(MATURIN) develop --quiet -m $(PYBIND)/Cargo.toml

release-build: venv
	$(CARGO) build --release -p rocketmq-testkit --bin rmq-testkit
	$(MATURIN) develop --quiet --release -m $(PYBIND)/Cargo.toml

# --- the contract --------------------------------------------------------------------------
demo: broker release-build
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_RELEASE) $(PY) examples/demo.py

test: broker test-rust test-python

test-rust:
	$(CARGO) test --workspace --exclude rocketmq-python

test-python: dev-build
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_DEBUG) $(PYTEST) $(PYBIND)/tests

bench: broker release-build
	$(CARGO) build --release -p rocketmq-client --example bench_producer --example bench_consumer
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_RELEASE) $(PY) bench/bench_producer.py --rust-bench $(TARGET_DIR)/release/examples/bench_producer
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_RELEASE) $(PY) bench/bench_consumer.py --rust-bench $(TARGET_DIR)/release/examples/bench_consumer

lint: venv
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check $(PYBIND)/python $(PYBIND)/tests examples bench
	$(VENV)/bin/ruff format --check $(PYBIND)/python $(PYBIND)/tests examples bench
	$(VENV)/bin/mypy --config-file $(PYBIND)/pyproject.toml $(PYBIND)/python/rocketmq
	$(PY) -m mypy.stubtest rocketmq._rocketmq

fmt: venv
	$(CARGO) fmt --all
	$(VENV)/bin/ruff format $(PYBIND)/python $(PYBIND)/tests examples bench

clean-venv:
	rm -rf $(VENV)

# --- chaos (issue #10, docs/reliability.md) ----------------------------------------------------
.PHONY: chaos chaos-short
CHAOS_ARGS ?=

chaos: broker
	$(CARGO) build -p rocketmq-testkit --bin rmq-chaos
	$(TARGET_DIR)/debug/rmq-chaos --write docs/reliability.md $(CHAOS_ARGS)

chaos-short: broker
	$(CARGO) build -p rocketmq-testkit --bin rmq-chaos
	$(TARGET_DIR)/debug/rmq-chaos --short $(CHAOS_ARGS)

# --- fuzzing (issue #10) -------------------------------------------------------------------------
# cargo-fuzz targets for FUZZ_SECONDS each (default 60); `make test` runs the deterministic
# variant (crates/rocketmq-remoting/tests/fuzz_decoders.rs, a few seconds).
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh
