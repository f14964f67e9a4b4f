#!/usr/bin/env bash
# Regenerates the audit log case files from the TEST-ONLY service key in ../keys with the CLI.
# ed25519 is deterministic and the records are fixed decisions, so a rerun writes the same
# bytes (unless examples/wikimedia/policy.yaml changed what the decisions say). Run from
# anywhere:
#   bash core/tests/cases/audit/make.sh
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../../../.. && pwd)
cargo build --quiet -p lockkeeper-cli --manifest-path "$ROOT/Cargo.toml"
LK="${CARGO_TARGET_DIR:-$ROOT/target}/debug/lockkeeper"
KEY=../keys/audit.TEST-ONLY.key
POLICY="$ROOT/examples/wikimedia/policy.yaml"
if [ ! -f "$KEY" ]; then
  "$LK" keygen --out ../keys/audit >/dev/null
  mv ../keys/audit.key "$KEY"
fi
rm -f ./*.jsonl ./*.json

decide() { # principal action project environment
  "$LK" authorize --policy "$POLICY" --principal "$1" --action "$2" --project "$3" \
    --environment "$4" --json || [ $? -eq 1 ]
}
{
  decide alice deploy mediawiki/core production
  decide dave deploy mediawiki/core production
  decide carol merge operations/puppet staging
  echo '{"note": "free-form records are kept as given", "floats": [0.1, 1e300, -0.0], "text": "é ✓ \u0001"}'
} >records.tmp
while IFS= read -r record; do
  printf '%s' "$record" | "$LK" audit append --log intact.jsonl --key "$KEY" >/dev/null
done <records.tmp
rm records.tmp
"$LK" audit checkpoint --log intact.jsonl --key "$KEY" --out intact.checkpoint.json
head -n 2 intact.jsonl >first-two.jsonl
# History rewritten by whoever holds the key: dave's denial replaced by another decision. The
# chain is consistent; only a checkpoint kept from before shows it.
decide alice deploy mediawiki/core production | "$LK" audit append --log rewritten.jsonl --key "$KEY" >/dev/null
decide carol merge operations/puppet staging | "$LK" audit append --log rewritten.jsonl --key "$KEY" >/dev/null
"$LK" audit checkpoint --log first-two.jsonl --key "$KEY" --out first-two.checkpoint.json

python3 - <<'PY'
import json
lines = open("intact.jsonl", encoding="utf-8").read().splitlines(keepends=True)
def write(name, ls):
    open(name, "w", encoding="utf-8").write("".join(ls))
# A record edited after the fact: dave's denial turned into an allow.
write("edited.jsonl", [lines[0], lines[1].replace('"allowed":false', '"allowed":true', 1), *lines[2:]])
# The same edit on the last entry, which an appender checks.
last = json.loads(lines[3])
last["record"]["note"] = "edited"
write("edited-last.jsonl", [*lines[:3], json.dumps(last, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"])
# Entry 2 removed; entries 2 and 3 swapped; entry 1 inserted again at the end.
write("removed.jsonl", [lines[0], *lines[2:]])
write("reordered.jsonl", [lines[0], lines[2], lines[1], lines[3]])
write("replayed.jsonl", [*lines, lines[0]])
# The same entry, pretty-printed: it means the same JSON, but not the bytes that were hashed.
write("respaced.jsonl", [lines[0], json.dumps(json.loads(lines[1]), ensure_ascii=False, sort_keys=True) + "\n", *lines[2:]])
# The signature of entry 3 replaced by entry 2's: a hash that matches, signed for another entry.
e2, e3 = json.loads(lines[1]), json.loads(lines[2])
e3["sig"] = e2["sig"]
write("resigned.jsonl", [*lines[:2], json.dumps(e3, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", lines[3]])
# A crash in the middle of appending a fifth entry.
write("torn.jsonl", [*lines, lines[0][:57]])
# The full log's checkpoint with its count lowered: a forgery the signature catches.
cp = json.load(open("intact.checkpoint.json"))
cp["count"] = 3
json.dump(cp, open("forged.checkpoint.json", "w"))
open("not-a-checkpoint.json", "w").write('{"count": 4, "head": "sha256:xyz"}\n')
PY
