#!/usr/bin/env bash
# The version lives in one place, `[workspace.package] version` in Cargo.toml: the crates inherit
# it and maturin gives it to the wheel. npm keeps its own field, so this script is the one way to
# change the version, and `scripts/version.sh --check` (run by the test command) fails if they
# ever disagree.
#
#   bash scripts/version.sh           print the version
#   bash scripts/version.sh --check   exit 1 unless package.json and its lockfile agree with Cargo
#   bash scripts/version.sh 0.3.0     set it everywhere (then add a CHANGELOG section)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_version() { sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml; }
npm_version() { node -p "require('./bindings-node/$1').version"; }
current=$(cargo_version)
case "${1:-}" in
  "") echo "$current" ;;
  --check)
    status=0
    for f in package.json package-lock.json; do
      v=$(npm_version "$f")
      if [ "$v" != "$current" ]; then
        echo "bindings-node/$f says $v, Cargo.toml says $current: run scripts/version.sh $current" >&2
        status=1
      fi
    done
    grep -q "^## \[$current\]" CHANGELOG.md || { echo "CHANGELOG.md has no section for $current" >&2; status=1; }
    [ $status = 0 ] && echo "version $current in Cargo.toml, package.json, package-lock.json and CHANGELOG.md"
    exit $status ;;
  *)
    new=$1
    [[ "$new" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "not a semantic version: $new" >&2; exit 2; }
    sed -i "/^\[workspace.package\]/,/^\[/s/^version = \".*\"/version = \"$new\"/" Cargo.toml
    (cd bindings-node && npm version "$new" --no-git-tag-version --allow-same-version >/dev/null)
    cargo update --workspace --quiet
    echo "version $new set; regenerate bindings-node/index.js (npx napi build) and add a CHANGELOG section" ;;
esac
