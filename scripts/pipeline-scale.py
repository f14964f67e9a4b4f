#!/usr/bin/env python3
"""Whole-process scale of `lockkeeper check pipeline` on generated native pipelines.

Writes pipelines of 10^4, 10^5 and 10^6 jobs (YAML and JSON) to a temporary directory, runs the
release CLI on each and prints the wall time, the CPU time, the exit code and the peak resident
memory of the CLI process (getrusage of the child). The pipelines check clean, so the figures are reading,
locating and checking, not reporting.

    cargo build --release -p lockkeeper-cli
    python3 scripts/pipeline-scale.py [--bin target/release/lockkeeper] [--jobs 10000,100000]

Each job has a trigger, two `needs` on jobs of the previous stage of 100 jobs, consumes one
artifact and produces one; one job in 50 holds a secret (the shape of the criterion bench's
`layered` pipelines).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

STAGE = 100


def job(i):
    """The fields of job `i`."""
    stage = i // STAGE
    fields = {"trigger": "merged"}
    if stage > 0:
        prev = (stage - 1) * STAGE
        fields["needs"] = [f"job-{prev + (i * 31 + 7) % STAGE}", f"job-{prev + (i * 17 + 7) % STAGE}"]
        fields["consumes"] = {"artifacts": [f"artifact-{prev + (i * 13 + 7) % STAGE}"]}
    fields["produces"] = {"artifacts": [f"artifact-{i}"]}
    if i % 50 == 49:
        fields["secrets"] = ["registry-push"]
    return fields


def write_yaml(path, n):
    with open(path, "w") as f:
        f.write("version: 1\njobs:\n")
        for i in range(n):
            j = job(i)
            f.write(f"  job-{i}:\n    trigger: {j['trigger']}\n")
            if "needs" in j:
                f.write(f"    needs: [{', '.join(j['needs'])}]\n")
                f.write(f"    consumes: {{artifacts: [{j['consumes']['artifacts'][0]}]}}\n")
            f.write(f"    produces: {{artifacts: [{j['produces']['artifacts'][0]}]}}\n")
            if "secrets" in j:
                f.write("    secrets: [registry-push]\n")


def write_json(path, n):
    with open(path, "w") as f:
        f.write('{"version": 1, "jobs": {\n')
        for i in range(n):
            sep = ",\n" if i + 1 < n else "\n"
            f.write(f'"job-{i}": {json.dumps(job(i))}{sep}')
        f.write("}}\n")


def run(binary, path):
    """Runs the CLI on `path`: (seconds, CPU seconds, exit code, peak RSS of that process in MiB,
    first line). CPU time (user + system) is what to compare on a shared machine, where the wall
    time is mostly waiting for a core."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [binary, "check", "pipeline", "--format", "native", path],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        # wait4 gives this child's own resource usage (ru_maxrss in KiB on Linux).
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        first = out.readline().rstrip("\n")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, proc.returncode, usage.ru_maxrss / 1024, first


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default="target/release/lockkeeper")
    parser.add_argument("--jobs", default="10000,100000,1000000")
    args = parser.parse_args()
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin} not found: cargo build --release -p lockkeeper-cli")
    sizes = sorted(int(n) for n in args.jobs.split(","))
    with tempfile.TemporaryDirectory(prefix="lockkeeper-scale-") as tmp:
        print(f"{'jobs':>9} {'format':>6} {'MiB in':>7} {'seconds':>8} {'CPU s':>6} {'exit':>4} {'peak RSS MiB':>12}  output")
        for n in sizes:
            for fmt, write in (("yaml", write_yaml), ("json", write_json)):
                path = os.path.join(tmp, f"pipeline-{n}.{fmt}")
                write(path, n)
                size = os.path.getsize(path) / 2**20
                seconds, cpu, code, peak, first = run(args.bin, path)
                print(f"{n:>9} {fmt:>6} {size:>7.1f} {seconds:>8.2f} {cpu:>6.2f} {code:>4} {peak:>12.0f}  {first[:100]}")
                sys.stdout.flush()
                os.remove(path)


if __name__ == "__main__":
    main()
