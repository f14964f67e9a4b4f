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

# Signed provenance: fresh builder keys in a temporary directory, substituted for the demo keys
# in a copy of the policy; a trusted post-merge build and an untrusted patchset build of the
# same artifact, each checked for production.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hexkey() { grep -v -- ----- "$1" | base64 -d | tail -c 32 | od -An -tx1 | tr -d ' \n'; }
"$LK" keygen --out "$work/trusted" >/dev/null
"$LK" keygen --out "$work/patchset" >/dev/null
sed -e "s/9e181375c6dc714bfe2e2c8dc8a81d67445476726878102143ec4e9626087e89/$(hexkey "$work/trusted.pub")/" \
    -e "s/88360b7b105ce5c8bb8090d2f9139e1940ed135b25185476c3c67cd431511cc1/$(hexkey "$work/patchset.pub")/" \
    "$POLICY" >"$work/policy.yaml"
printf 'pretend this is an image\n' >"$work/mediawiki.tar"
ARTIFACT=$("$LK" digest "$work/mediawiki.tar" | cut -d' ' -f1)
for builder in trusted patchset; do
  "$LK" statement provenance --builder "https://ci.example.org/builders/$builder" \
    --subject "mediawiki.tar=$ARTIFACT" --source git+https://gerrit.wikimedia.org/r/mediawiki/core \
    --ref refs/heads/master >"$work/$builder.statement.json"
  "$LK" sign --key "$work/$builder.key" --statement "$work/$builder.statement.json" >"$work/$builder.envelope.json"
done
show envelope verify --pub "$work/trusted.pub" "$work/trusted.envelope.json"
show verify --policy "$work/policy.yaml" --envelope "$work/trusted.envelope.json" --artifact "$ARTIFACT" --environment production
show verify --policy "$work/policy.yaml" --envelope "$work/patchset.envelope.json" --artifact "$ARTIFACT" --environment production
