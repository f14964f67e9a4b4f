#!/usr/bin/env bash
# Builds every release artifact into dist/, reusing one release build for the CLI and the Node
# addon (target/, the directory the tests use) and keeping the zig-linked wheel's apart, and
# prints their sizes:
#
#   dist/lockkeeper-<v>-<host>.tar.gz   the stripped CLI, its completions (bash, zsh, fish) and
#                                       man pages, README, LICENSE, NOTICE, CHANGELOG
#   dist/lockkeeper-<v>-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
#                                       one wheel for every CPython >= 3.9, built with zig against
#                                       glibc 2.17 so that it installs on every manylinux2014 system
#   dist/lockkeeper-<v>.tar.gz          the sdist (builds with maturin and a Rust toolchain)
#   dist/lockkeeper-<v>.tgz             the npm package with the stripped linux-x64-gnu addon
#
# Needs the tools scripts/test.sh installs (.venv with maturin and ziglang, bindings-node's
# node_modules); run it through the test command, or after it once.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HOST=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_BUILD_TARGET=$HOST
VERSION=$(bash scripts/version.sh)
DIST=$ROOT/dist
STAGE=$DIST/stage
rm -rf "$DIST"
mkdir -p "$STAGE"
[ -x .venv/bin/maturin ] || { echo "run scripts/test.sh first: .venv/bin/maturin is missing" >&2; exit 2; }
[ -d bindings-node/node_modules/@napi-rs/cli ] || { echo "run scripts/test.sh first: bindings-node/node_modules is missing" >&2; exit 2; }
export VIRTUAL_ENV=$ROOT/.venv
export PATH="$VIRTUAL_ENV/bin:$PATH"

echo "--> CLI: cargo install --path cli (release, into the shared target/)"
# --target-dir keeps the release build in target/ (cargo install would otherwise build from
# scratch in a temporary directory), so the Node addon below reuses every dependency.
cargo install --quiet --locked --force --path cli --root "$STAGE/cli" --target-dir "$ROOT/target"
CLI_DIR=$STAGE/lockkeeper-$VERSION-$HOST
mkdir -p "$CLI_DIR/bin" "$CLI_DIR/share/bash-completion/completions" \
  "$CLI_DIR/share/zsh/site-functions" "$CLI_DIR/share/fish/vendor_completions.d" "$CLI_DIR/share/man/man1"
cp "$STAGE/cli/bin/lockkeeper" "$CLI_DIR/bin/"
"$CLI_DIR/bin/lockkeeper" completions bash > "$CLI_DIR/share/bash-completion/completions/lockkeeper"
"$CLI_DIR/bin/lockkeeper" completions zsh > "$CLI_DIR/share/zsh/site-functions/_lockkeeper"
"$CLI_DIR/bin/lockkeeper" completions fish > "$CLI_DIR/share/fish/vendor_completions.d/lockkeeper.fish"
"$CLI_DIR/bin/lockkeeper" manpage --dir "$CLI_DIR/share/man/man1"
cp README.md LICENSE NOTICE CHANGELOG.md "$CLI_DIR/"
tar -C "$STAGE" -czf "$DIST/lockkeeper-$VERSION-$HOST.tar.gz" "lockkeeper-$VERSION-$HOST"

echo "--> Node: release addon, npm pack"
NPM=$STAGE/npm
mkdir -p "$NPM"
(cd bindings-node && npx napi build --platform --release --output-dir "$NPM" >/dev/null)
cp README.md LICENSE NOTICE "$NPM/"
# One platform ships today, so its binary rides in the main package: `npm install` of the tarball
# then works offline. With more platforms, napi's per-platform packages (optionalDependencies)
# would keep each install small; index.js already looks for them.
node -e '
  const fs = require("fs");
  const pkg = JSON.parse(fs.readFileSync("bindings-node/package.json", "utf8"));
  // The committed JS and type files the manifest lists (the addon was built into the stage).
  for (const f of pkg.files.filter((f) => !f.includes("*"))) {
    fs.copyFileSync("bindings-node/" + f, process.argv[1] + "/" + f);
  }
  delete pkg.devDependencies; delete pkg.scripts;
  pkg.files = [...pkg.files, "README.md", "LICENSE", "NOTICE"];
  pkg.os = ["linux"]; pkg.cpu = ["x64"]; pkg.libc = ["glibc"];
  fs.writeFileSync(process.argv[1] + "/package.json", JSON.stringify(pkg, null, 2) + "\n");
' "$NPM"
(cd "$NPM" && npm pack --silent --pack-destination "$DIST" >/dev/null)

echo "--> Python: abi3 manylinux2014 wheel (zig) and sdist"
# zig's linker is part of every crate's fingerprint, so the wheel gets a release directory of
# its own (target/wheel): sharing target/ would make it and the two builds above rebuild each
# other's dependencies on every run.
wheel_log=$(maturin build --release --zig --compatibility manylinux2014 --target "$HOST" \
  --target-dir "$ROOT/target/wheel" -m bindings-python/Cargo.toml -o "$DIST" 2>&1) \
  || { echo "$wheel_log" >&2; exit 1; }
# maturin sdist has no --quiet; its progress is noise here, its errors are not.
sdist_log=$(maturin sdist -m bindings-python/Cargo.toml -o "$DIST" 2>&1) || { echo "$sdist_log" >&2; exit 1; }
ls "$DIST"/lockkeeper-"$VERSION"-*.whl "$DIST/lockkeeper-$VERSION.tar.gz" >/dev/null

rm -rf "$STAGE"
echo "--> dist/"
(cd "$DIST" && for f in *; do printf '  %-75s %8s KiB\n' "$f" "$(( $(stat -c %s "$f") / 1024 ))"; done)
