#!/usr/bin/env python3
"""Per-call cost of `authorize` through the Python and the Node bindings, in one run.

Both ask the same allowed request of the same small policy (the core decides it in about
0.3 us), so the figures are almost all the crossing: converting the arguments, building the
decision object, and for Node the `lockkeeper.js` wrapper. Each is the best of 7 rounds of
100,000 calls, in CPU time (user + system: on a shared machine wall time is mostly waiting for
a core). Node is also timed without a scope, and with the decision's `subject` read after the
call: through `lockkeeper.js` an allow is answered without building the native `Decision`,
which is built (by asking again) the first time the decision is read past `allowed`, so that
line is what a caller pays who reads an allow's details. Needs the release builds of both
bindings:

    maturin develop --release -m bindings-python/Cargo.toml    # into the active virtualenv
    (cd bindings-node && npx napi build --platform --release)
    python3 scripts/binding-overhead.py

No threshold is checked here: the figures go to docs/node.md and docs/python.md.
"""

import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICY = """\
environments: {staging: {}, production: {from: [staging]}}
principals: {alice: {}, bob: {}}
roles: {deployer: {permissions: [deploy]}}
bindings:
  - {role: deployer, principals: [alice], project: "mediawiki/*", environment: production}
  - {role: deployer, principals: [bob]}
"""
CALLS = 100_000
ROUNDS = 7

NODE = r"""
const [dir, policyText, calls, rounds] = [process.argv[1], process.argv[2], +process.argv[3], +process.argv[4]]
const lockkeeper = require(dir + '/lockkeeper.js')
function best(f) {
  let best = Infinity
  for (let r = 0; r < rounds; r++) {
    const t = process.cpuUsage()
    for (let i = 0; i < calls; i++) f()
    const used = process.cpuUsage(t)
    best = Math.min(best, ((used.user + used.system) * 1000) / calls)
  }
  return best
}
const out = {}
const policy = lockkeeper.Policy.fromYaml(policyText)
const scope = { project: 'mediawiki/core', environment: 'production' }
if (!policy.authorize('alice', 'deploy', scope).allowed) throw new Error('not allowed')
out.node = best(() => policy.authorize('alice', 'deploy', scope))
out.node_subject = best(() => policy.authorize('alice', 'deploy', scope).subject)
if (!policy.authorize('bob', 'deploy').allowed) throw new Error('not allowed')
out.node_no_scope = best(() => policy.authorize('bob', 'deploy'))
console.log(JSON.stringify(out))
"""


def python_ns(read_subject=False):
    import lockkeeper

    policy = lockkeeper.Policy.from_yaml(POLICY)
    call = lambda: policy.authorize(  # noqa: E731
        "alice", "deploy", project="mediawiki/core", environment="production"
    )
    if not call().allowed:
        sys.exit("the request must be allowed")
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time_ns()
        if read_subject:
            for _ in range(CALLS):
                call().subject
        else:
            for _ in range(CALLS):
                call()
        best = min(best, (time.process_time_ns() - start) / CALLS)
    return best


def node_ns():
    out = subprocess.run(
        ["node", "-e", NODE, os.path.join(ROOT, "bindings-node"), POLICY, str(CALLS), str(ROUNDS)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main():
    py = python_ns()
    py_subject = python_ns(read_subject=True)
    node = node_ns()
    us = lambda ns: f"{ns / 1000:.2f} us"  # noqa: E731
    print(f"authorize, allowed, CPU time per call (best of {ROUNDS} x {CALLS:,} calls):")
    print(f"  Python                         {us(py)}")
    print(f"  Node (lockkeeper.js)           {us(node['node'])}   {node['node'] / py:.2f}x Python")
    print(f"  Node, no scope                 {us(node['node_no_scope'])}")
    print(f"  Python, then .subject read     {us(py_subject)}")
    print(f"  Node, then .subject read       {us(node['node_subject'])}   {node['node_subject'] / py_subject:.2f}x Python")


if __name__ == "__main__":
    main()
