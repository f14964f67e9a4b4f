#!/usr/bin/env python3
"""Runs zizmor and lockkeeper on the GitHub Actions workflow fixtures and prints, per file, the
trust-related findings of each tool and the speed ratio (a Markdown table for docs/comparison.md).

    .venv/bin/pip install -r bindings-python/requirements-test.txt   # pins zizmor
    cargo build --release -p lockkeeper-cli
    .venv/bin/python scripts/compare-zizmor.py [FIXTURES_DIR]

FIXTURES_DIR defaults to <repo>/testdata/fixtures/github-actions. Each tool is run once per
file (a repository's workflows are one pipeline for lockkeeper; the fixtures come from different
repositories), offline, and each full pass is timed; the best of REPEAT passes counts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEAT = int(os.environ.get("REPEAT", "3"))

# zizmor audits about who can influence what runs with which privileges. The others (pinning,
# style, redundant actions) are about something else and are listed apart.
NOT_TRUST_FLOW = {
    "unpinned-uses",
    "unpinned-images",
    "superfluous-actions",
    "self-repository",
    "anonymous-definition",
    "concurrency-limits",
    "misfeature",
    "stale-action-refs",
    "ref-version-mismatch",
    "archived-uses",
    "obfuscation",
    "impostor-commit",
    "known-vulnerable-actions",
}


def find_lockkeeper() -> str:
    for build in ("release", "debug"):
        target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
        path = Path(target) / build / "lockkeeper"
        if path.exists():
            return str(path)
    found = shutil.which("lockkeeper")
    if not found:
        sys.exit("build the CLI first: cargo build --release -p lockkeeper-cli")
    return found


def find_zizmor() -> str:
    venv = ROOT / ".venv" / "bin" / "zizmor"
    if venv.exists():
        return str(venv)
    found = shutil.which("zizmor")
    if not found:
        sys.exit("install zizmor first: .venv/bin/pip install -r bindings-python/requirements-test.txt")
    return found


def zizmor_findings(zizmor: str, path: Path) -> Counter[str]:
    out = subprocess.run(
        [zizmor, "--offline", "--no-progress", "--format", "json", str(path)],
        capture_output=True,
        text=True,
    )
    if out.returncode not in (0, 11, 12, 13, 14):
        sys.exit(f"zizmor failed on {path} ({out.returncode}): {out.stderr}")
    return Counter(f["ident"] for f in json.loads(out.stdout or "[]"))


def lockkeeper_findings(lockkeeper: str, path: Path) -> Counter[str]:
    out = subprocess.run(
        [lockkeeper, "check", "pipeline", "--format", "github", "--json", str(path)],
        capture_output=True,
        text=True,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"lockkeeper failed on {path} ({out.returncode}): {out.stderr}")
    return Counter(v["code"] for v in json.loads(out.stdout)["violations"])


def timed(run, files: list[Path]) -> tuple[float, dict[str, Counter[str]]]:
    best = float("inf")
    results: dict[str, Counter[str]] = {}
    for _ in range(REPEAT):
        start = time.perf_counter()
        results = {f.name: run(f) for f in files}
        best = min(best, time.perf_counter() - start)
    return best, results


def cell(counts: Counter[str], keep) -> str:
    items = [f"{k} ×{n}" if n > 1 else k for k, n in sorted(counts.items()) if keep(k)]
    return "<br>".join(items) if items else "—"


def main() -> None:
    fixtures = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "testdata" / "fixtures" / "github-actions"
    files = sorted(p for p in fixtures.iterdir() if p.suffix in (".yml", ".yaml"))
    if not files:
        sys.exit(f"no workflows in {fixtures}")
    zizmor, lockkeeper = find_zizmor(), find_lockkeeper()
    version = subprocess.run([zizmor, "--version"], capture_output=True, text=True).stdout.strip()

    z_time, z = timed(lambda f: zizmor_findings(zizmor, f), files)
    l_time, lk = timed(lambda f: lockkeeper_findings(lockkeeper, f), files)

    print(f"{len(files)} workflows from {fixtures}; {version}; lockkeeper {lockkeeper}\n")
    print("| file | zizmor: trust-related | zizmor: other | lockkeeper |")
    print("| --- | --- | --- | --- |")
    for f in files:
        print(
            f"| `{f.name}` | {cell(z[f.name], lambda k: k not in NOT_TRUST_FLOW)} "
            f"| {cell(z[f.name], lambda k: k in NOT_TRUST_FLOW)} "
            f"| {cell(lk[f.name], lambda k: True)} |"
        )
    z_total = sum(z.values(), Counter())
    l_total = sum(lk.values(), Counter())
    print()
    print(f"zizmor totals: {dict(sorted(z_total.items()))}")
    print(f"lockkeeper totals: {dict(sorted(l_total.items()))}")
    print()
    print(
        f"time, one process per file, best of {REPEAT}: zizmor {z_time * 1000:.0f} ms, "
        f"lockkeeper {l_time * 1000:.0f} ms, ratio {z_time / l_time:.1f}x "
        f"({z_time / len(files) * 1000:.1f} vs {l_time / len(files) * 1000:.1f} ms per file)"
    )


if __name__ == "__main__":
    main()
