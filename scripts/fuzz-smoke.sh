#!/usr/bin/env bash
# Runs every fuzz target for a few seconds (FUZZ_SECONDS, default 10) from the committed seeds.
# cargo-fuzz is installed into the clone (.tools/), never globally. Nightly gives
# AddressSanitizer; without nightly the targets run on stable with `-s none`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${FUZZ_SECONDS:-10}
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
# One build of every target first: cargo links them in parallel, and each run below finds its
# binary fresh instead of building it alone.
echo "building every fuzz target"
"${FUZZ[@]/run/build}" >/dev/null
for target in $(cargo fuzz list); do
  corpus="corpus/$target"
  mkdir -p "$corpus"
  if [ -d "seeds/$target" ]; then cp -n seeds/"$target"/* "$corpus"/ 2>/dev/null || true; fi
  echo "fuzzing $target for ${SECONDS_PER_TARGET}s"
  log="corpus/$target.log"
  status=0
  "${FUZZ[@]}" "$target" "$corpus" -- -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|^Done" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz target $target failed (exit $status): see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
