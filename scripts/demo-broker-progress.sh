#!/usr/bin/env bash
# `make demo`'s progress line for the test broker's build, which runs in the background while the
# project builds (on a fresh machine it is most of the wait):
#   scripts/demo-broker-progress.sh LOG PID
# Until process PID (scripts/install-broker.sh, stderr in LOG) ends, prints every
# DEMO_PROGRESS_SECONDS (30) how many crates cargo has compiled and which one it is on. Prints
# nothing when the broker is already installed (install-broker.sh then exits at once).
set -u
log_file="$1" pid="$2"
every="${DEMO_PROGRESS_SECONDS:-30}"
start=$SECONDS announced=0
say() { printf 'demo: %s\n' "$*" >&2; }
announce() {
    if [ "$announced" = 0 ] && grep -q '^install-broker: building' "$log_file" 2>/dev/null; then
        say "first run: building the test broker (rocketmq-rust 1.0.0 name server + broker, ~350 crates," \
            "about 9 min on 2 quiet cores) in the background; log: $log_file"
        announced=1
    fi
}
while kill -0 "$pid" 2>/dev/null; do
    # One poll a second, so the start is announced and a finished install noticed at once; a
    # progress report every $every s.
    for _ in $(seq "$every"); do kill -0 "$pid" 2>/dev/null || exit 0; announce; sleep 1; done
    if [ "$announced" = 1 ]; then
        n="$(grep -c '^ *Compiling ' "$log_file" 2>/dev/null || true)"
        last="$(grep '^ *Compiling ' "$log_file" 2>/dev/null | tail -n 1 | awk '{print $2, $3}')"
        say "still building the test broker: ${n:-0} crates compiled (now ${last:-starting})," \
            "$(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s so far"
    fi
done
