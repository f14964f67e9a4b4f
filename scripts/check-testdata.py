#!/usr/bin/env python3
"""Checks that the test suite is self-contained and that the vendored third-party data is intact.

1. Every file listed in testdata/fixtures/MANIFEST.json, testdata/fixtures/sigstore/MANIFEST.json
   and the labeled corpus's SOURCES.md is present with the recorded sha256 (byte-for-byte copies),
   except the files deliberately left out for their license (testdata/README.md says which).
2. Every data file under testdata/fixtures is accounted for by one of those lists, so nothing
   unlisted (and of unknown license) slips in.
3. No test, script or example that the test command runs names the folder beside the clone that
   the corpus was copied from: the tests must pass in a clone with nothing beside it.

Exit 0 when all hold; 1 with one line per failure otherwise.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "testdata" / "fixtures"
# Left out for their license (GPL-2.0): see testdata/README.md.
LEFT_OUT = re.compile(r"^zuul/wikimedia--integration-config--zuul\.d--")
# Documentation files that describe the data rather than being data.
DOCS = {"README.md", "SOURCES.md", "SOURCES-2.md", "MANIFEST.json", "LABELS.tsv"}
# What the test command reads or runs: tests, scripts, examples, the bindings' test suites.
SCANNED = ["core", "cli", "fs", "benches", "bindings-python", "bindings-node", "examples", "scripts", ".ci", "fuzz"]
SKIP_DIRS = {"node_modules", "target", ".venv", "__pycache__", "corpus", "artifacts"}
SUFFIXES = {".rs", ".py", ".mjs", ".js", ".ts", ".sh", ".toml", ".json", ".yaml", ".yml", ""}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed() -> dict[str, str]:
    """Relative path under testdata/fixtures -> expected sha256 (or its 12-char prefix)."""
    expected: dict[str, str] = {}
    for entry in json.loads((FIXTURES / "MANIFEST.json").read_text()):
        expected[f"{entry['cat']}/{entry['dest']}"] = entry["sha256"]
    for entry in json.loads((FIXTURES / "sigstore" / "MANIFEST.json").read_text()):
        expected[f"sigstore/{entry['dest']}"] = entry["sha256"]
    for line in (FIXTURES / "realworld" / "SOURCES.md").read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 7 and re.fullmatch(r"[0-9a-f]{12}", cells[6]):
            expected[f"realworld/{cells[1]}"] = cells[6]
    return expected


def second_collection() -> set[str]:
    """The second collection is listed in SOURCES-2.md tables (file name in the first column)."""
    names: set[str] = set()
    for sources in FIXTURES.glob("*/SOURCES-2.md"):
        for line in sources.read_text().splitlines():
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 2 and cells[1] and not set(cells[1]) <= {"-", " "} and cells[1] != "file":
                names.add(f"{sources.parent.name}/{cells[1].strip('`')}")
    return names


def main() -> int:
    problems: list[str] = []
    expected = listed()
    checked = 0
    for rel, digest in sorted(expected.items()):
        if LEFT_OUT.match(rel):
            continue
        path = FIXTURES / rel
        if not path.is_file():
            problems.append(f"missing: testdata/fixtures/{rel}")
            continue
        actual = sha256(path)
        if not actual.startswith(digest):
            problems.append(f"changed: testdata/fixtures/{rel} (sha256 {actual[:12]}, listed {digest[:12]})")
        checked += 1
    extra_listed = second_collection()
    unlisted = 0
    for path in sorted(p for p in FIXTURES.rglob("*") if p.is_file()):
        rel = path.relative_to(FIXTURES).as_posix()
        if path.name in DOCS or rel in expected:
            continue
        if rel in extra_listed or any(rel.startswith(d + "/") for d in extra_listed):
            continue
        # Folder-level entries (a layout directory listed as one source) cover their files.
        if any(rel.startswith(k.rstrip("/") + "/") for k in expected):
            continue
        problems.append(f"unlisted: testdata/fixtures/{rel} (add it to a SOURCES or MANIFEST with its license)")
        unlisted += 1
    needle = re.compile(r"\.\./shared\b|['\"]shared['\"]\s*,\s*['\"]fixtures['\"]|/ \"shared\" /|shared/fixtures")
    me = Path(__file__).resolve()
    for top in SCANNED:
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.resolve() == me or path.suffix not in SUFFIXES:
                continue
            if SKIP_DIRS & set(path.relative_to(ROOT).parts):
                continue
            try:
                text = path.read_text()
            except (UnicodeDecodeError, OSError):
                continue
            for n, line in enumerate(text.splitlines(), 1):
                if needle.search(line):
                    problems.append(f"{path.relative_to(ROOT)}:{n}: names the folder beside the clone: {line.strip()}")
    for p in problems:
        print(p)
    print(f"testdata: {checked} vendored files match their recorded sha256; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
