#!/usr/bin/env bash
# Runs every fuzz target for a few seconds (FUZZ_SECONDS, default 10) from the committed seeds.
# cargo-fuzz is installed into the clone (.tools/), never globally. Nightly gives
# AddressSanitizer; without nightly the targets run on stable with `-s none`.
#
#   scripts/fuzz-smoke.sh              install cargo-fuzz if missing, build, run
#   scripts/fuzz-smoke.sh --build-only install and build only (scripts/test.sh does this in the
#                                      background while its single-threaded steps run)
#   scripts/fuzz-smoke.sh --run-only   run what is built (a fresh build if anything changed)
#
# Targets run FUZZ_JOBS at a time (default: the number of cores, at most 4); each one is
# single-threaded, so two cores fuzz two targets in the time of one.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-all}
case "$MODE" in all|--build-only|--run-only) ;; *) echo "usage: $0 [--build-only|--run-only]" >&2; exit 2 ;; esac
SECONDS_PER_TARGET=${FUZZ_SECONDS:-10}
CORES=$(nproc 2>/dev/null || echo 1)
JOBS=${FUZZ_JOBS:-$(( CORES < 4 ? CORES : 4 ))}
export PATH="$ROOT/.tools/bin:$PATH"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing cargo-fuzz into .tools/"
  cargo install cargo-fuzz --locked --version 0.13.1 --root "$ROOT/.tools" --quiet
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  FUZZ=(cargo +nightly fuzz run)
else
  FUZZ=(cargo fuzz run -s none)
fi
# The fuzz build gets its own CARGO_BUILD_TARGET-free environment: cargo-fuzz picks the target.
unset CARGO_BUILD_TARGET
cd fuzz
if [ "$MODE" != --run-only ]; then
  # One build of every target first: cargo links them in parallel, and each run below finds its
  # binary fresh instead of building it alone.
  echo "building every fuzz target"
  "${FUZZ[@]/run/build}" >/dev/null
fi
[ "$MODE" = --build-only ] && exit 0

# One target: its corpus from the seeds, a run, its stats; the log is kept for a failure.
fuzz_one() {
  local target=$1 corpus="corpus/$1" log="corpus/$1.log" status=0
  mkdir -p "$corpus"
  if [ -d "seeds/$target" ]; then cp -n seeds/"$target"/* "$corpus"/ 2>/dev/null || true; fi
  "${FUZZ[@]}" "$target" "$corpus" -- -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  echo "$target: $(grep -E "stat::number_of_executed_units" "$log" | tr -s ' ' || echo 'no stats')"
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz target $target failed (exit $status): see fuzz/artifacts/$target" >&2
    return 1
  fi
}

echo "fuzzing every target for ${SECONDS_PER_TARGET}s, $JOBS at a time"
targets=$(cargo fuzz list)
failed=0
running=0
for target in $targets; do
  fuzz_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
if [ "$failed" -ne 0 ]; then
  echo "a fuzz target failed (above)" >&2
  exit 1
fi
echo "$(echo "$targets" | wc -w) fuzz targets ran without a crash"
