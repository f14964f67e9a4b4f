#!/usr/bin/env bash
# Installs each artifact of dist/ (scripts/package.sh) into a clean place, as a user would, and
# makes one decision with it: the same request (dave may not deploy mediawiki/core to production,
# a merger may) through the wheel in a fresh venv, the npm tarball in an empty project, and the
# CLI binary from its archive. Nothing from the clone's build or environments is on the path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=$(bash scripts/version.sh)
HOST=$(rustc -vV | sed -n 's/^host: //p')
POLICY=$ROOT/examples/wikimedia/policy.yaml
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Everything below runs from the empty work directory, so nothing resolves into the clone.
cd "$WORK"
fail() { echo "smoke: $*" >&2; exit 1; }

echo "--> wheel: pip install into a new venv, import, decide"
WHEEL=$(ls "$ROOT"/dist/lockkeeper-"$VERSION"-cp39-abi3-manylinux*.whl)
"$ROOT/.venv/bin/python" -m auditwheel show "$WHEEL" | tr '\n' ' ' | grep -q 'manylinux_2_17_x86_64' \
  || fail "auditwheel does not accept $WHEEL as manylinux_2_17"
python3 -m venv venv
venv/bin/pip install --quiet --disable-pip-version-check --no-index "$WHEEL"
venv/bin/python - "$POLICY" <<'PY'
import sys
import lockkeeper
policy = lockkeeper.Policy.from_file(sys.argv[1])
denied = policy.authorize("dave", "deploy", project="mediawiki/core", environment="production")
assert not denied.allowed, denied
assert "rbac/missing-permission" in [v.code for v in denied.violations], denied.violations
print(f"    lockkeeper {lockkeeper.__version__} from {lockkeeper.__file__.rsplit('/', 3)[-3]}: dave deploy -> DENY rbac/missing-permission")
PY

echo "--> npm: install the tarball into an empty project, require, decide"
mkdir npm && cd npm
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$ROOT/dist/lockkeeper-$VERSION.tgz"
[ ! -e node_modules/lockkeeper/lockkeeper.linux-x64-gnu.node ] && fail "the addon is not in the package"
node - "$POLICY" <<'JS'
const lk = require('lockkeeper')
const policy = lk.Policy.fromFile(process.argv[2])
const d = policy.authorize('dave', 'deploy', { project: 'mediawiki/core', environment: 'production' })
try {
  policy.authorize('dave', 'deploy', { environment: 'prodution' })
  throw new Error('an undefined environment must be refused')
} catch (e) {
  if (!(e instanceof lk.InvalidRequestError)) throw e
}
if (d.allowed) throw new Error('dave may not deploy')
const codes = d.toJSON().violations.map(v => v.code)
if (!codes.includes('rbac/missing-permission')) throw new Error(`codes: ${codes}`)
console.log(`    lockkeeper ${require('lockkeeper/package.json').version} from node_modules: dave deploy -> DENY ${codes.join(',')}`)
JS
cd "$WORK"

echo "--> CLI: unpack the archive, --version, decide, completions, man page"
tar xzf "$ROOT/dist/lockkeeper-$VERSION-$HOST.tar.gz"
BIN=$WORK/lockkeeper-$VERSION-$HOST/bin/lockkeeper
"$BIN" --version | grep -Eq "^lockkeeper $VERSION \([0-9a-f]{12}(-dirty)?\)$" || fail "--version: $("$BIN" --version)"
status=0
"$BIN" authorize --policy "$POLICY" --principal dave --action deploy \
  --project mediawiki/core --environment production >/dev/null || status=$?
[ "$status" = 1 ] || fail "CLI authorize exited $status, expected 1 (denied)"
for f in share/bash-completion/completions/lockkeeper share/zsh/site-functions/_lockkeeper \
  share/fish/vendor_completions.d/lockkeeper.fish share/man/man1/lockkeeper.1 LICENSE README.md; do
  [ -s "lockkeeper-$VERSION-$HOST/$f" ] || fail "the archive has no $f"
done
echo "    $("$BIN" --version): dave deploy -> exit 1 (DENY)"
echo "smoke: 3 passed, 0 failed"
