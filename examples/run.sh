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

# Images (docs/images.md): the example image policy on OCI layouts, one denied for a baked-in
# password; then the rebuild plan when the PHP base is vulnerable.
IMAGES=core/tests/cases/images
show image check --policy examples/images/policy.yaml "$IMAGES/app" "$IMAGES/app-secret"
show image rebuild-plan --inventory examples/images/inventory.json \
  --vulnerable sha256:4444444444444444444444444444444444444444444444444444444444444444
