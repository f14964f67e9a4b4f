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
# A whole repository: the workflows with the local action and reusable workflow they use. The
# cache the action writes under pull_request_target reaches the tag release.
show check repo examples/repo

# The seeds' story, end to end. Fresh keys for the builders, the test runner and the deployment
# service go into a temporary directory and replace the demo keys in a copy of the policy.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
hexkey() { grep -v -- ----- "$1" | base64 -d | tail -c 32 | od -An -tx1 | tr -d ' \n'; }
demo_key() { sed -n "s/.*keys: \[\([0-9a-f]\{64\}\)\].*/\1/p" "$POLICY" | sed -n "${1}p"; }
cp "$POLICY" "$work/policy.yaml"
n=1
for who in trusted patchset tests deploy; do
  "$LK" keygen --out "$work/$who" >/dev/null
  sed -i "s/$(demo_key $n)/$(hexkey "$work/$who.pub")/" "$work/policy.yaml"
  n=$((n + 1))
done
P=$work/policy.yaml
AT=2026-11-24T10:00:00Z            # a Tuesday; the core takes the time as an argument
APPROVED_AT=2026-11-24T09:00:00Z
mkdir -p "$work/evidence"

build() { # builder file label -> prints the digest, writes $work/<label>.build.json
  local builder=$1 file=$2 name=$3
  local digest
  digest=$("$LK" digest "$file" | cut -d' ' -f1)
  "$LK" statement provenance --builder "https://ci.example.org/builders/$builder" \
    --subject "mediawiki.tar=$digest" --source git+https://gerrit.wikimedia.org/r/mediawiki/core \
    --ref refs/heads/master >"$work/$name.statement.json"
  "$LK" sign --key "$work/$builder.key" --statement "$work/$name.statement.json" >"$work/$name.build.json"
  echo "$digest"
}

echo; echo "== A post-merge build on the trusted builder, and its signed provenance"
printf 'mediawiki 1.44.0 image\n' >"$work/mediawiki.tar"
ARTIFACT=$(build trusted "$work/mediawiki.tar" original)
cp "$work/original.build.json" "$work/evidence/01-build.json"
show verify --policy "$P" --envelope "$work/evidence/01-build.json" --artifact "$ARTIFACT"

echo; echo "== testing: the entry environment needs trusted build provenance"
show promote --policy "$P" --artifact "$ARTIFACT" --version 1.44.0 --to testing --by alice \
  --project mediawiki/core --evidence "$work/evidence" --at "$AT" \
  --record "$work/evidence/02-in-testing.json" --sign-with "$work/deploy.key"

echo; echo "== the test runner signs a passing test result for this exact digest"
cat >"$work/tests.statement.json" <<JSON
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"mediawiki.tar","digest":{"sha256":"${ARTIFACT#sha256:}"}}],"predicateType":"https://in-toto.io/attestation/test-result/v0.1","predicate":{"result":"PASSED","configuration":[],"timestamp":"$AT"}}
JSON
"$LK" sign --key "$work/tests.key" --statement "$work/tests.statement.json" >"$work/evidence/03-tests.json"

echo; echo "== staging: promoted from testing (same digest), tests passed"
show promote --policy "$P" --artifact "$ARTIFACT" --version 1.44.0 --to staging --by alice \
  --project mediawiki/core --evidence "$work/evidence" --at "$AT" \
  --record "$work/evidence/04-in-staging.json" --sign-with "$work/deploy.key"

echo; echo "== production, asked by a merger who also approved their own change: denied"
printf '[{"principal":"bob","at":"%s"},{"principal":"alice","at":"%s"}]\n' "$APPROVED_AT" "$APPROVED_AT" >"$work/approvals.json"
show deploy-request --policy "$P" --artifact "$ARTIFACT" --version 1.44.0 --to production --by alice \
  --project mediawiki/core --author bob --approvals "$work/approvals.json" \
  --evidence "$work/evidence" --at "$AT"

echo; echo "== production, a volunteer's change approved by two mergers: allowed, credentials released to the deploy zone"
show deploy-request --policy "$P" --artifact "$ARTIFACT" --version 1.44.0 --to production --by alice \
  --project mediawiki/core --author dave --approvals "$work/approvals.json" \
  --evidence "$work/evidence" --at "$AT" --record "$work/in-production.json" --sign-with "$work/deploy.key"

echo; echo "== the same request on a Friday: the freeze holds; the on-call incident commander may override, and it is recorded"
printf '[{"principal":"bob","at":"2026-11-27T09:00:00Z"},{"principal":"alice","at":"2026-11-27T09:00:00Z"}]\n' >"$work/approvals-fri.json"
show deploy-request --policy "$P" --artifact "$ARTIFACT" --version 1.44.0 --to production --by alice \
  --project mediawiki/core --author dave --approvals "$work/approvals-fri.json" \
  --evidence "$work/evidence" --at 2026-11-27T12:00:00Z
show deploy-request --policy "$P" --artifact "$ARTIFACT" --version 1.44.0 --to production --by carol \
  --project mediawiki/core --author dave --approvals "$work/approvals-fri.json" \
  --evidence "$work/evidence" --at 2026-11-27T12:00:00Z --emergency

echo; echo "== every production decision goes to the deploy service's signed, hash-chained audit log"
# The decisions themselves, as JSON, one entry each (the Friday one is a denial: logged too).
"$LK" deploy-request --policy "$P" --artifact "$ARTIFACT" --version 1.44.0 --to production --by alice \
    --project mediawiki/core --author dave --approvals "$work/approvals.json" \
    --evidence "$work/evidence" --at "$AT" --json | "$LK" audit append --log "$work/audit.jsonl" --key "$work/deploy.key" >/dev/null
"$LK" deploy-request --policy "$P" --artifact "$ARTIFACT" --version 1.44.0 --to production --by alice \
    --project mediawiki/core --author dave --approvals "$work/approvals-fri.json" \
    --evidence "$work/evidence" --at 2026-11-27T12:00:00Z --json >"$work/friday.json" || [ $? -eq 1 ]
"$LK" audit append --log "$work/audit.jsonl" --key "$work/deploy.key" <"$work/friday.json" >/dev/null
"$LK" audit checkpoint --log "$work/audit.jsonl" --key "$work/deploy.key" --out "$work/checkpoint.json" >/dev/null
show audit verify --log "$work/audit.jsonl" --pub "$work/deploy.pub" --checkpoint "$work/checkpoint.json"
echo "(the log is tampered with: one byte of the first entry's record changes)"
sed -i '1s/"allowed":true/"allowed":false/' "$work/audit.jsonl"
show audit verify --log "$work/audit.jsonl" --pub "$work/deploy.pub" --checkpoint "$work/checkpoint.json"

echo; echo "== a rebuild of the same source has another digest: it did not pass testing, so staging refuses it"
mkdir -p "$work/rebuilt"
printf 'mediawiki 1.44.0 image (rebuilt)\n' >"$work/rebuilt/mediawiki.tar"
REBUILT=$(build trusted "$work/rebuilt/mediawiki.tar" rebuilt)
show promote --policy "$P" --artifact "$REBUILT" --version 1.44.0 --to staging --by alice \
  --project mediawiki/core --evidence "$work/rebuilt.build.json" "$work/evidence/02-in-testing.json" \
  "$work/evidence/03-tests.json" --at "$AT" --json

echo; echo "== an untrusted patchset build may not even enter testing"
mkdir -p "$work/patchset"
printf 'mediawiki patchset build\n' >"$work/patchset/mediawiki.tar"
UNTRUSTED=$(build patchset "$work/patchset/mediawiki.tar" patchset)
show promote --policy "$P" --artifact "$UNTRUSTED" --version 1.44.0 --to testing --by alice \
  --project mediawiki/core --evidence "$work/patchset.build.json" --at "$AT"
# Images (docs/images.md): the example image policy on OCI layouts, one denied for a baked-in
# password; then the rebuild plan when the PHP base is vulnerable.
IMAGES=core/tests/cases/images
show image check --policy examples/images/policy.yaml "$IMAGES/app" "$IMAGES/app-secret"
show image rebuild-plan --inventory examples/images/inventory.json \
  --vulnerable sha256:4444444444444444444444444444444444444444444444444444444444444444
