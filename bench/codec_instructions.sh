#!/usr/bin/env bash
# Instructions per operation of the codec micro-benchmarks (issue #13 §4), with valgrind
# (cachegrind, no cache simulation): this machine has no hardware performance counters.
#
#   bench/codec_instructions.sh BENCH_BINARY [N]
#
# BENCH_BINARY is a bench example with the --list / --case / --iters / --quiet options
# (bench_codec of rocketmq-remoting, bench_prepare of rocketmq-client). Each case it lists runs under valgrind at N and 2N operations; (Ir(2N) - Ir(N)) / N is the cost of one
# operation without the program's fixed start-up cost. The pull case is one response of 32
# messages per operation; its line also gives the figure per message. Prints one JSON line per
# case, as the bench examples do.
set -euo pipefail

bin=${1:?usage: $0 BENCH_BINARY [N]}
n=${2:-2000}
if ! command -v valgrind >/dev/null; then
	echo "codec_instructions: valgrind is not installed; skipping instruction counts" >&2
	exit 0
fi

instructions() { # case iters -> total Ir
	local out
	out=$(valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
		"$bin" --case "$1" --iters "$2" --quiet 2>&1 >/dev/null)
	sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' <<<"$out" | tr -d ,
}

for case in $("$bin" --list); do
	one=$(instructions "$case" "$n")
	two=$(instructions "$case" $((2 * n)))
	if [[ -z $one || -z $two ]]; then
		echo "codec_instructions: no instruction count from valgrind for $case" >&2
		exit 1
	fi
	per_op=$(((two - one) / n))
	per_msg=$per_op
	if [[ $case == pull_decode ]]; then per_msg=$((per_op / 32)); fi
	echo "{\"mode\": \"${case}_instructions\", \"instructions_per_op\": $per_op, \"instructions_per_msg\": $per_msg, \"iters\": $n}"
done
