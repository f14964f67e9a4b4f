#!/usr/bin/env bash
# The main job on the bundled example: validate the Wikimedia-style policy and show how
# lockkeeper decides (and explains) a few requests. Builds the CLI first if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p lockkeeper-cli
LK=${CARGO_TARGET_DIR:-target}/debug/lockkeeper
if [ -n "${CARGO_BUILD_TARGET:-}" ]; then LK=${CARGO_TARGET_DIR:-target}/$CARGO_BUILD_TARGET/debug/lockkeeper; fi
POLICY=examples/wikimedia/policy.yaml

show() {
  echo
  echo "\$ lockkeeper $*"
  # Exit 1 means "denied": expected for some of these requests.
  "$LK" "$@" || [ $? -eq 1 ]
}

show policy check "$POLICY"
# A merger of mediawiki/* may deploy mediawiki to production (merge_implies_deploy).
show authorize --policy "$POLICY" --principal alice --action deploy --project mediawiki/core --environment production
# A volunteer may submit a patchset anywhere...
show authorize --policy "$POLICY" --principal dave --action submit --project mediawiki/core
# ...but not deploy: the denial lists every binding considered and why it did not apply.
show authorize --policy "$POLICY" --principal dave --action deploy --project mediawiki/core --environment production
# ops merge operations/*, not mediawiki.
show authorize --policy "$POLICY" --principal carol --action merge --project mediawiki/core --ref refs/heads/master --json
# Two approvals needed; the author's own vote never counts.
show approvals --policy "$POLICY" --project mediawiki/core --required 2 --author alice --approval alice --approval bob

# Pipelines (docs/pipelines.md): a clean one, then the GitHub classic with its path of jobs.
show check pipeline --policy examples/pipelines/policy.yaml examples/pipelines/native/clean.yaml
show check pipeline examples/pipelines/github/pr-target.yml
