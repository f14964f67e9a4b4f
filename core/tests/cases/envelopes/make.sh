#!/usr/bin/env bash
# Regenerates the provenance case envelopes from the TEST-ONLY keys in ../keys with the CLI.
# ed25519 is deterministic, so a rerun writes the same bytes. Run from anywhere:
#   bash core/tests/cases/envelopes/make.sh
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../../.. && pwd)
cargo build --quiet -p lockkeeper-cli --manifest-path "$ROOT/Cargo.toml"
LK="$ROOT/target/debug/lockkeeper"
K=../keys
ARTIFACT=sha256:$(printf 'web-app-1.4.2.tar.gz' | sha256sum | cut -d' ' -f1)
TRUSTED=https://ci.example.org/builders/trusted
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

statement() { # builder source ref [predicate-override]
  "$LK" statement provenance --builder "$1" --subject "web-app.tar.gz=$ARTIFACT" \
    --source "$2" --ref "$3" --commit 0123456789abcdef0123456789abcdef01234567 >"$tmp/s.json"
}
sign() { # out keys...
  local out=$1; shift
  local args=()
  for k in "$@"; do args+=(--key "$K/$k.TEST-ONLY.key"); done
  "$LK" sign "${args[@]}" --statement "$tmp/s.json" >"$out"
}

GOOD_SRC=git+https://gerrit.example.org/r/web/app
statement "$TRUSTED" "$GOOD_SRC" refs/heads/main
sign trusted-good.json trusted-a
sign untrusted-key.json outsider
sign builder-key-mismatch.json patchset
"$LK" sign --key "$K/trusted-a.TEST-ONLY.key" --statement "$tmp/s.json" --payload-type text/plain >wrong-payload-type.json
# Tampered: the payload changes after signing (one byte of the builder id).
python3 - trusted-good.json bad-signature.json <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
payload = base64.b64decode(env["payload"]).replace(b"builders/trusted", b"builders/trustee")
env["payload"] = base64.b64encode(payload).decode()
json.dump(env, open(sys.argv[2], "w"))
PY
statement https://ci.example.org/builders/patchset "$GOOD_SRC" refs/heads/main
sign patchset-good.json patchset
statement https://ci.example.org/builders/unknown "$GOOD_SRC" refs/heads/main
sign unknown-builder.json trusted-a
statement https://ci.example.org/builders/release "$GOOD_SRC" refs/tags/v1.4.2
sign release-one-key.json trusted-a
sign release-two-keys.json trusted-a trusted-b
statement "$TRUSTED" git+https://github.com/someone/fork refs/heads/main
sign source-not-allowed.json trusted-a
statement "$TRUSTED" "$GOOD_SRC" refs/heads/feature
sign ref-not-allowed.json trusted-a
# A signed statement that is not provenance (a test result).
cat >"$tmp/s.json" <<JSON
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"web-app.tar.gz","digest":{"sha256":"${ARTIFACT#sha256:}"}}],"predicateType":"https://in-toto.io/attestation/test-result/v0.1","predicate":{"result":"PASSED"}}
JSON
sign not-provenance.json trusted-a
printf '{"payload": "not base64!", "payloadType": "application/vnd.in-toto+json", "signatures": []}' >not-an-envelope.json
echo "$ARTIFACT" >artifact.txt
