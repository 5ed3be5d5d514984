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
DEV_PACKAGES := "maturin>=1.8,<2" "pytest>=8" "pytest-timeout>=2.3" "mypy>=1.10" "ruff>=0.5" \
	"opentelemetry-api>=1.24" "opentelemetry-sdk>=1.24" \
	"mkdocs>=1.6,<2" "mkdocs-material>=9.5" "mkdocstrings[python]>=0.26" "pymdown-extensions>=10" \
	"uvloop>=0.19; sys_platform != 'win32'"

# Cargo's target dir (CARGO_TARGET_DIR when set, as cargo and maturin use it).
TARGET_DIR  := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
export RMQ_TESTKIT_BIN_DEBUG   := $(TARGET_DIR)/debug/rmq-testkit
export RMQ_TESTKIT_BIN_RELEASE := $(TARGET_DIR)/release/rmq-testkit

.PHONY: help demo test test-rust test-python bench bench-codec lint fmt venv broker dev-build release-build clean-venv docs

help:
	@echo "make demo   - install what is missing, start a local name server + broker, send through Python, stop"
	@echo "make test   - every test (Rust and Python) against a real broker"
	@echo "make bench  - end-to-end benchmarks against a local broker (Python vs Rust core)"
	@echo "make bench-codec - codec micro-benchmarks (ns and instructions per operation), no broker"
	@echo "make lint   - rustfmt, clippy -D warnings, ruff, mypy"
	@echo "make docs   - the documentation site (MkDocs, --strict) into site/"
	@echo "make chaos  - fault scenarios on a 2+2 cluster; writes the table into docs/reliability.md"
	@echo "make soak   - 1M messages through Python with RSS sampled (SOAK_MESSAGES to change)"
	@echo "make fuzz   - cargo-fuzz targets (nightly) for FUZZ_SECONDS each from the golden frames"

# --- setup -------------------------------------------------------------------------------
# Re-run when the Makefile (DEV_PACKAGES) changes, so an existing venv gets new test tools.
$(VENV)/.ready: Makefile
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
# The broker build (first run only, most of the wait) runs in the background while this
# project's build runs: on 2 cores the two fill each other's serial stretches (build scripts,
# links, the name server's and broker's final crates). A progress line every 30 s says what is
# still being waited for. The demo uses the dev build (the one `make test` uses next): it
# leaves the broker's build more of the machine than a release build would, and 100 messages
# need no optimizer.
BROKER_LOG ?= $(or $(TMPDIR),/tmp)/rocketmq-py-broker-build.log
demo: venv
	scripts/install-broker.sh >/dev/null 2>"$(BROKER_LOG)" &
	broker_pid=$$!
	scripts/demo-broker-progress.sh "$(BROKER_LOG)" "$$broker_pid" &
	progress_pid=$$!
	trap 'kill "$$progress_pid" 2>/dev/null || true' EXIT
	$(MAKE) --no-print-directory dev-build
	if kill -0 "$$broker_pid" 2>/dev/null; then echo "demo: project built; waiting for the test broker's build (log: $(BROKER_LOG))"; fi
	if ! wait "$$broker_pid"; then
		tail -n 30 "$(BROKER_LOG)" >&2
		echo "demo: the test broker's build failed (log above); rerun make demo to resume it" >&2
		exit 1
	fi
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_DEBUG) $(PY) examples/demo.py

test: broker test-rust test-python

test-rust:
	$(CARGO) test --workspace --exclude rocketmq-python

test-python: dev-build
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_DEBUG) $(PYTEST) $(PYBIND)/tests

bench: broker release-build bench-codec
	$(CARGO) build --release -p rocketmq-client --example bench_producer --example bench_consumer
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_RELEASE) $(PY) bench/bench_producer.py --rust-bench $(TARGET_DIR)/release/examples/bench_producer
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_RELEASE) $(PY) bench/bench_consumer.py --rust-bench $(TARGET_DIR)/release/examples/bench_consumer
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_RELEASE) $(PY) bench/asyncio_floor.py

# The fast part of `make bench` (no broker, under a minute): the codec and the producer's
# per-send preparation alone, ns per operation (wall time) and instructions per operation
# (valgrind; skipped when it is not installed).
bench-codec:
	$(CARGO) build --release -p rocketmq-remoting --example bench_codec
	$(CARGO) build --release -p rocketmq-client --example bench_prepare
	for bin in bench_codec bench_prepare; do
		$(TARGET_DIR)/release/examples/$$bin
		bench/codec_instructions.sh $(TARGET_DIR)/release/examples/$$bin
	done

lint: venv
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check $(PYBIND)/python $(PYBIND)/tests examples bench docs/site/snippets
	$(VENV)/bin/ruff format --check $(PYBIND)/python $(PYBIND)/tests examples bench docs/site/snippets
	$(VENV)/bin/mypy --config-file $(PYBIND)/pyproject.toml $(PYBIND)/python/rocketmq
	$(PY) -m mypy.stubtest rocketmq._rocketmq

fmt: venv
	$(CARGO) fmt --all
	$(VENV)/bin/ruff format $(PYBIND)/python $(PYBIND)/tests examples bench docs/site/snippets

clean-venv:
	rm -rf $(VENV)

# The documentation site (mkdocs.yml, pages in docs/site). `make test` builds it too
# (bindings/python/tests/docs/test_site.py) and runs every code sample against the broker.
docs: dev-build
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

# --- chaos (issue #10, docs/reliability.md) ----------------------------------------------------
.PHONY: chaos chaos-short chaos-python soak
CHAOS_ARGS ?=

chaos: broker chaos-python
	$(CARGO) build -p rocketmq-testkit --bin rmq-chaos
	$(TARGET_DIR)/debug/rmq-chaos --write docs/reliability.md $(CHAOS_ARGS)

# The same ledger through the public Python API (bench/chaos.py), short runs; writes its block.
chaos-python: broker dev-build
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_DEBUG) $(PY) bench/chaos.py --scenario broker-kill broker-hang --write docs/reliability.md

chaos-short: broker
	$(CARGO) build -p rocketmq-testkit --bin rmq-chaos
	$(TARGET_DIR)/debug/rmq-chaos --short $(CHAOS_ARGS)

# Soak (issue #10): SOAK_MESSAGES (default 1M) sent and consumed through Python, RSS sampled;
# fails when RSS grows more than 10 MiB after warm-up. CPU heavy: minutes on 2 cores.
SOAK_MESSAGES ?= 1000000
soak: broker dev-build
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_DEBUG) nice $(PY) bench/soak.py --messages $(SOAK_MESSAGES)

# --- platforms (#8): wheels, Windows under Wine, aarch64 under qemu -----------------------------
# docs/platforms.md explains the recipe. Cross builds use Debian's rustc 1.96 with -Zbuild-std
# (scripts/cross-env.sh) and share CROSS_TARGET_DIR; the host wheel uses rustup's toolchain.
CROSS_TARGET_DIR ?= $(if $(CARGO_TARGET_DIR),$(CARGO_TARGET_DIR)-cross,$(CURDIR)/target-cross)
export CROSS_TARGET_DIR
WHEEL_TARGETS ?= linux-x86_64 linux-aarch64 windows macos-x86_64 macos-arm64 sdist
HOST_WHEEL_GLOB := dist/rocketmq_py-*-cp39-abi3-manylinux2014_x86_64*.whl

.PHONY: cross-tools wheels wheel-host test-wheel test-windows test-aarch64 test-platforms doc ci

$(VENV)/.zig: $(VENV)/.ready
	$(PIP) install --quiet "ziglang>=0.13"
	touch $@

cross-tools: $(VENV)/.zig
	scripts/install-cross-tools.sh

# Wheels are what users install: fat LTO and one codegen unit (the extension 9.8 -> 6.9 MB, the
# x86_64 wheel 4.2 -> 3.2 MB, under the 4 MB budget; ~7 min instead of ~8.5 on this machine).
# Benchmarks and tests keep the workspace's thin-LTO release profile.
wheels wheel-host: export CARGO_PROFILE_RELEASE_LTO := fat
wheels wheel-host: export CARGO_PROFILE_RELEASE_CODEGEN_UNITS := 1

wheels: cross-tools
	scripts/build-wheels.sh $(WHEEL_TARGETS)

# The x86_64 manylinux2014 wheel alone (rustup's toolchain + zig; no Debian packages needed).
wheel-host: $(VENV)/.zig
	scripts/build-wheels.sh linux-x86_64

# Install the host wheel into a fresh venv and run the integration tests against it.
test-wheel: broker wheel-host
	$(CARGO) build -p rocketmq-testkit --bin rmq-testkit
	RMQ_TESTKIT_BIN=$(RMQ_TESTKIT_BIN_DEBUG) scripts/test-installed-wheel.sh $(HOST_WHEEL_GLOB) tests/integration

test-windows: broker cross-tools
	scripts/test-windows.sh

test-aarch64: broker cross-tools
	scripts/test-aarch64.sh

test-platforms: test-windows test-aarch64

# Warnings denied. The extension crate has no public Rust API: its docs cover (and link) its
# private modules.
doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --exclude rocketmq-python
	RUSTDOCFLAGS="-D warnings -A rustdoc::private_intra_doc_links" $(CARGO) doc --no-deps -p rocketmq-python --document-private-items

# What .ci/run does: the README's test, then what users get (the wheel) and the linters.
ci: test test-wheel lint doc

# --- fuzzing (issue #10) -------------------------------------------------------------------------
# cargo-fuzz targets for FUZZ_SECONDS each (default 60); `make test` runs the deterministic
# variant (crates/rocketmq-remoting/tests/fuzz_decoders.rs, a few seconds).
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh
