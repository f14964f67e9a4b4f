#!/usr/bin/env python3
"""Scores lockkeeper (and zizmor, on the GitHub files) against the labeled real-world corpus.

    .venv/bin/python scripts/score-realworld.py [--corpus DIR] [--persona regular]
        [--formats github,gitlab,zuul,argo] [--no-zizmor] [--markdown]
        [--min-precision P] [--min-recall R] [--require-job] [--require-read]

The corpus (default testdata/fixtures/realworld) has one LABELS.tsv row per file: verdict
(vulnerable/clean), class, the job an expert would name. Files whose evidence says `set:<repo>`
are checked together in one run (reusable workflows with their callers, a Zuul config project
with its job library, a GitLab pipeline with its includes); every other file alone.

A file is *flagged* by lockkeeper when the check exits non-zero with a finding located in that
file (or refuses the input: an error is not a pass), counting only the findings the persona
shows. A file whose only findings say that part of it was not read (`import/incomplete`,
`import/unsupported`: includes, templates or job definitions not given) is counted apart as
*incomplete*: it does not pass, and it claims no flaw. By zizmor when it reports a finding located in that file from a trust-flow audit with
severity medium or high (its pinning and style audits, listed in HYGIENE, are left out). A true
positive *names the job* when one of its findings is about the labeled job.

Prints, per format and class, the confusion counts, precision and recall at file level, how many
true positives name the job, each tool's time for the whole corpus and their ratio. With the
--min-* options, exits 1 when lockkeeper falls below the floor (the test command uses this);
with --require-read, also when a file or set passes although lockkeeper read no job from it or
left part of it unread.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HYGIENE = {
    "unpinned-uses", "unpinned-images", "superfluous-actions", "self-repository",
    "anonymous-definition", "concurrency-limits", "misfeature", "stale-action-refs",
    "ref-version-mismatch", "archived-uses", "obfuscation", "impostor-commit",
    "known-vulnerable-actions", "excessive-permissions", "undocumented-permissions",
    "use-trusted-publishing", "dependabot-cooldown", "dependabot-execution", "forbidden-uses",
}
SEVERE = {"Medium", "High"}


@dataclass
class Row:
    file: str
    format: str
    vulnerable: bool
    klass: str
    job: str
    unit: str


# What a tool says when it could not read everything: honest, and not a claim of a flaw. A
# file with only these is counted as *incomplete* (it does not pass either), not as flagged.
NOT_READ = {"import/incomplete", "import/unsupported"}


@dataclass
class Verdict:
    flagged: bool = False
    incomplete: bool = False
    jobs: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    error: str = ""
    # Passed (exit 0) with no job read, or with a construct not read: what must never happen.
    passed_unread: str = ""


def read_labels(corpus: Path, formats: set[str]) -> list[Row]:
    rows = []
    with open(corpus / "LABELS.tsv", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["format"] not in formats:
                continue
            m = re.search(r"set:(\S+?)(?:[;\s]|$)", r["evidence"])
            unit = f"set:{m.group(1)}" if m else r["file"]
            rows.append(Row(r["file"], r["format"], r["verdict"] == "vulnerable", r["class"], r["job"], unit))
    return rows


def find_lockkeeper() -> str:
    if os.environ.get("LOCKKEEPER_BIN"):
        return os.environ["LOCKKEEPER_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for build in sorted(target.glob("*/release/lockkeeper")) + sorted(target.glob("release/lockkeeper")) \
            + sorted(target.glob("*/debug/lockkeeper")) + sorted(target.glob("debug/lockkeeper")):
        return str(build)
    found = shutil.which("lockkeeper")
    if not found:
        sys.exit("build the CLI first: cargo build --release -p lockkeeper-cli (or set LOCKKEEPER_BIN)")
    return found


def lockkeeper_unit(bin_: str, corpus: Path, rows: list[Row], persona: str | None) -> dict[str, Verdict]:
    files = [str(corpus / r.file) for r in rows]
    cmd = [bin_, "check", "pipeline", "--format", rows[0].format, "--json"]
    if persona:
        cmd += ["--persona", persona]
    out = subprocess.run(cmd + files, capture_output=True, text=True)
    verdicts = {r.file: Verdict() for r in rows}
    if out.returncode not in (0, 1):
        for v in verdicts.values():
            v.flagged, v.error = True, (out.stderr.strip().splitlines() or ["exit %d" % out.returncode])[0]
        return verdicts
    decision = json.loads(out.stdout)
    by_path = {str(corpus / r.file): r.file for r in rows}
    for violation in decision.get("violations", []):
        if persona and violation.get("persona") not in (None, *shown_personas(persona)):
            continue
        facts = violation.get("facts", {})
        where = by_path.get(facts.get("file", ""))
        targets = [where] if where else ([] if facts.get("file") else list(verdicts))
        for name in targets:
            if violation["code"] in NOT_READ:
                verdicts[name].incomplete = True
                verdicts[name].codes.add(violation["code"])
                continue
            verdicts[name].flagged = True
            verdicts[name].codes.add(violation["code"])
            if facts.get("job"):
                verdicts[name].jobs.add(str(facts["job"]))
    if out.returncode == 0:
        unread = [v["code"] for v in decision.get("violations", []) if v["code"] in NOT_READ]
        why = "0 jobs" if decision.get("jobs") == 0 else ", ".join(sorted(set(unread)))
        for v in verdicts.values():
            v.flagged = v.incomplete = False
            v.passed_unread = why
    return verdicts


def shown_personas(persona: str) -> tuple[str, ...]:
    return {"regular": ("regular",), "pedantic": ("regular", "pedantic"),
            "auditor": ("regular", "pedantic", "auditor")}[persona]


def zizmor_unit(zizmor: str, corpus: Path, rows: list[Row]) -> dict[str, Verdict]:
    files = [str(corpus / r.file) for r in rows]
    out = subprocess.run([zizmor, "--offline", "--no-progress", "--format", "json", *files],
                         capture_output=True, text=True)
    verdicts = {r.file: Verdict() for r in rows}
    if out.returncode not in (0, 10, 11, 12, 13, 14):
        for v in verdicts.values():
            v.flagged, v.error = True, f"zizmor exit {out.returncode}"
        return verdicts
    by_path = {str(corpus / r.file): r.file for r in rows}
    for finding in json.loads(out.stdout or "[]"):
        if finding["ident"] in HYGIENE or finding["determinations"]["severity"] not in SEVERE:
            continue
        for loc in finding["locations"]:
            sym = loc["symbolic"]
            path = sym["key"].get("Local", {}).get("verbatim_path") or sym["key"].get("Local", {}).get("given_path")
            name = by_path.get(path or "")
            if not name:
                continue
            verdicts[name].flagged = True
            verdicts[name].codes.add(finding["ident"])
            route = [c.get("Key") for c in sym.get("route", {}).get("route", [])]
            if len(route) > 1 and route[0] == "jobs" and route[1]:
                verdicts[name].jobs.add(route[1])
    return verdicts


def run_tool(rows: list[Row], fn) -> tuple[dict[str, float], dict[str, Verdict]]:
    """Runs `fn` once per unit; returns the time spent per format and the verdict per file."""
    units: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        units[r.unit].append(r)
    verdicts: dict[str, Verdict] = {}
    times: dict[str, float] = defaultdict(float)
    for unit_rows in units.values():
        start = time.perf_counter()
        verdicts.update(fn(unit_rows))
        times[unit_rows[0].format] += time.perf_counter() - start
    return times, verdicts


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    named: int = 0
    incomplete: int = 0

    def add(self, row: Row, v: Verdict) -> None:
        self.incomplete += v.incomplete and not v.flagged
        if row.vulnerable and v.flagged:
            self.tp += 1
            self.named += row.job in v.jobs
        elif row.vulnerable:
            self.fn += 1
        elif v.flagged:
            self.fp += 1
        else:
            self.tn += 1

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def cells(self) -> list[str]:
        return [str(self.tp), str(self.fp), str(self.fn), str(self.tn), f"{self.precision():.2f}",
                f"{self.recall():.2f}", f"{self.named}/{self.tp}", str(self.incomplete)]


def scores(rows: list[Row], verdicts: dict[str, Verdict]) -> dict[str, Score]:
    out: dict[str, Score] = defaultdict(Score)
    for r in rows:
        v = verdicts[r.file]
        out["all"].add(r, v)
        out[f"{r.format}"].add(r, v)
        out[f"{r.format} / {r.klass}"].add(r, v)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "testdata" / "fixtures" / "realworld")
    ap.add_argument("--persona", choices=["regular", "pedantic", "auditor"], default=None,
                    help="passed to lockkeeper (default: the tool's default)")
    ap.add_argument("--formats", default="github,gitlab,zuul,argo")
    ap.add_argument("--no-zizmor", action="store_true")
    ap.add_argument("--details", action="store_true", help="list every misclassified file")
    ap.add_argument("--min-precision", type=float)
    ap.add_argument("--min-recall", type=float)
    ap.add_argument("--require-job", action="store_true", help="every true positive names the labeled job")
    ap.add_argument("--require-read", action="store_true",
                    help="no file or set passes with 0 jobs or with a construct not read")
    args = ap.parse_args()

    rows = read_labels(args.corpus, set(args.formats.split(",")))
    lk_bin = find_lockkeeper()
    lk_time, lk = run_tool(rows, lambda rs: lockkeeper_unit(lk_bin, args.corpus, rs, args.persona))
    tools = [("lockkeeper", lk_time, lk, rows)]
    gh_rows = [r for r in rows if r.format == "github"]
    zizmor = str(ROOT / ".venv" / "bin" / "zizmor") if (ROOT / ".venv" / "bin" / "zizmor").exists() else shutil.which("zizmor")
    if not args.no_zizmor and gh_rows and zizmor:
        z_time, z = run_tool(gh_rows, lambda rs: zizmor_unit(zizmor, args.corpus, rs))
        tools.append(("zizmor", z_time, z, gh_rows))

    print(f"corpus {args.corpus} ({len(rows)} files); lockkeeper {lk_bin}; persona {args.persona or 'default'}")
    print()
    print("| tool | files | TP | FP | FN | TN | precision | recall | TP naming the job | incomplete, nothing else found |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, _, verdicts, trows in tools:
        for key, s in sorted(scores(trows, verdicts).items(), key=lambda kv: (kv[0] != "all", kv[0])):
            print(f"| {name} | {key} | " + " | ".join(s.cells()) + " |")
    print()
    for name, times, _, trows in tools:
        per = ", ".join(f"{fmt} {t:.2f} s" for fmt, t in sorted(times.items()))
        print(f"time {name}: {sum(times.values()):.2f} s for {len(trows)} files ({per}), one process per unit")
    if len(tools) > 1 and lk_time.get("github"):
        print(f"on the {len(gh_rows)} GitHub files zizmor takes {tools[1][1]['github'] / lk_time['github']:.1f}x "
              "lockkeeper's time")
    if args.details:
        print()
        for r in rows:
            v = lk[r.file]
            wrong = v.flagged != r.vulnerable or (r.vulnerable and r.job not in v.jobs)
            if wrong:
                kind = "FN" if r.vulnerable and not v.flagged else "FP" if v.flagged and not r.vulnerable else "job?"
                print(f"{kind}\t{r.file}\tlabel job {r.job}\tfound {sorted(v.jobs)} {sorted(v.codes)} {v.error}")

    total = scores(rows, lk)["all"]
    failed = []
    if args.min_precision is not None and total.precision() < args.min_precision:
        failed.append(f"precision {total.precision():.2f} < {args.min_precision}")
    if args.min_recall is not None and total.recall() < args.min_recall:
        failed.append(f"recall {total.recall():.2f} < {args.min_recall}")
    if args.require_job and total.named < total.tp:
        failed.append(f"{total.tp - total.named} true positives do not name the labeled job")
    if args.require_read:
        failed.extend(f"{r.file} passes with {lk[r.file].passed_unread}" for r in rows if lk[r.file].passed_unread)
    for f in failed:
        print(f"floor: {f}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
