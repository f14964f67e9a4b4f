#!/usr/bin/env bash
# Regenerates the promotion case evidence (envelopes/promo-*.json) from the TEST-ONLY keys with
# the CLI. Deterministic: ed25519 signatures and fixed times.
#   bash core/tests/cases/envelopes/make-promotion.sh
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../../.. && pwd)
cargo build --quiet -p lockkeeper-cli --manifest-path "$ROOT/Cargo.toml"
LK="$ROOT/target/debug/lockkeeper"
K=../keys
A=sha256:$(printf 'web-app-1.4.2.tar.gz' | sha256sum | cut -d' ' -f1)
REBUILT=sha256:$(printf 'web-app-1.4.2.tar.gz rebuilt' | sha256sum | cut -d' ' -f1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sign() { "$LK" sign --key "$K/$1.TEST-ONLY.key" --statement "$tmp/s.json" >"promo-$2.json"; }
provenance() { # builder digest
  "$LK" statement provenance --builder "$1" --subject "web-app.tar.gz=$2" \
    --source git+https://gerrit.example.org/r/web/app --ref refs/heads/main >"$tmp/s.json"
}
record() { # environment digest version decided_at
  cat >"$tmp/s.json" <<JSON
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"web-app.tar.gz","digest":{"sha256":"${2#sha256:}"}}],"predicateType":"https://lockkeeper.dev/promotion/v1","predicate":{"environment":"$1","version":"$3","decided_at":"$4","principal":"alice","action":"promote","emergency":false,"rollback":false,"deploy_service":"https://deploy.example.org/pingee"}}
JSON
}
tests() { # result timestamp
  cat >"$tmp/s.json" <<JSON
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"web-app.tar.gz","digest":{"sha256":"${A#sha256:}"}}],"predicateType":"https://in-toto.io/attestation/test-result/v0.1","predicate":{"result":"$1","configuration":[],"timestamp":"$2"}}
JSON
}
provenance https://ci.example.org/builders/trusted "$A"; sign trusted-a build
provenance https://ci.example.org/builders/patchset "$A"; sign patchset build-untrusted
record testing "$A" 1.4.2 2026-11-20T10:00:00Z; sign deploy in-testing
record staging "$A" 1.4.2 2026-11-21T10:00:00Z; sign deploy in-staging
record testing "$REBUILT" 1.4.2 2026-11-20T10:00:00Z; sign deploy rebuilt-in-testing
record production "$A" 2.0.0 2026-11-01T10:00:00Z; sign deploy production-had-2.0.0
record testing "$A" 1.4.2 2026-11-20T10:00:00Z; sign trusted-a in-testing-wrong-signer
tests PASSED 2026-11-22T10:00:00Z; sign tests tests-passed
tests FAILED 2026-11-22T10:00:00Z; sign tests tests-failed
tests PASSED 2026-10-01T10:00:00Z; sign tests tests-stale
tests PASSED 2026-11-22T10:00:00Z; sign patchset tests-untrusted-signer
# The promotion record as the gate writes it today (a SLSA VSA v1), and the same VSA saying FAILED.
"$LK" promote --policy ../policies/promotion.yaml --artifact "$A" --version 1.4.2 --to testing --by alice \
  --evidence promo-build.json --at 2026-11-20T10:00:00Z --record promo-vsa-in-testing.json \
  --sign-with "$K/deploy.TEST-ONLY.key" >/dev/null
python3 -c "import base64,json,sys; s=json.loads(base64.b64decode(json.load(open(sys.argv[1]))['payload'])); s['predicate']['verificationResult']='FAILED'; print(json.dumps(s))" \
  promo-vsa-in-testing.json >"$tmp/s.json"
sign deploy vsa-failed-in-testing
echo "$A" >promo-artifact.txt
echo "$REBUILT" >promo-rebuilt.txt
# Build provenance for two generated OCI images (the sandbox environment requires the image policy).
for image in app app-as-root; do
  digest=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['manifests'][0]['digest'])" "../images/$image/index.json")
  "$LK" statement provenance --builder https://ci.example.org/builders/trusted --subject "$image=$digest" \
    --source git+https://gerrit.example.org/r/web/app --ref refs/heads/main >"$tmp/s.json"
  sign trusted-a "build-image-$image"
  echo "$digest" >"promo-image-$image.txt"
done
