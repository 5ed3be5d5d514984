#!/usr/bin/env bash
# `make fuzz`: run every cargo-fuzz target in fuzz/ for FUZZ_SECONDS (default 60) each, seeded
# with the golden Java 4.9.4 frames, and print the executions per target (libFuzzer's final
# stats). A crash leaves its input in fuzz/artifacts/<target>/ and fails the run.
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
TARGETS="${FUZZ_TARGETS:-remoting_command stored_messages properties_and_ids bodies}"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "make fuzz needs the nightly toolchain and cargo-fuzz: rustup toolchain install nightly; cargo install cargo-fuzz" >&2
    exit 2
fi
summary=()
for target in $TARGETS; do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    cp -n ../crates/rocketmq-remoting/tests/fixtures/java-4.9.4/*/*.bin "$corpus/" 2>/dev/null || true
    log="$(mktemp)"
    if cargo +nightly fuzz run "$target" "$corpus" -- -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 >"$log" 2>&1; then
        status=ok
    else
        status=CRASH
    fi
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    summary+=("$target: $execs executions in ${SECONDS_PER_TARGET} s: $status")
    if [ "$status" != ok ]; then
        tail -40 "$log" >&2
    fi
    rm -f "$log"
done
printf '%s\n' "${summary[@]}"
! printf '%s\n' "${summary[@]}" | grep -q CRASH
