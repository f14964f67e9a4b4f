#!/usr/bin/env python3
"""Per-call cost of `authorize` through the Python and the Node bindings, in one run.

Both ask the same allowed request of the same small policy (the core decides it in about
0.3 us), so the figures are almost all the crossing: converting the arguments, building the
decision object, and for Node the `lockkeeper.js` wrapper. Each is the best of 7 rounds of
200,000 calls, in CPU time (user + system: on a shared machine wall time is mostly waiting for
a core); Node is also timed on the native functions alone (`index.js`, no wrapper) and
without a scope, to show where its time goes. Needs the release builds of both bindings:

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
const wrapped = require(dir + '/lockkeeper.js')
const native = require(dir + '/index.js')
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
for (const [name, lib] of [['wrapped', wrapped], ['native', native]]) {
  const policy = lib.Policy.fromYaml(policyText)
  const scope = { project: 'mediawiki/core', environment: 'production' }
  if (!policy.authorize('alice', 'deploy', scope).allowed) throw new Error('not allowed')
  out[name] = best(() => policy.authorize('alice', 'deploy', scope))
  if (!policy.authorize('bob', 'deploy').allowed) throw new Error('not allowed')
  out[name + '_no_scope'] = best(() => policy.authorize('bob', 'deploy'))
}
console.log(JSON.stringify(out))
"""


def python_ns():
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
    node = node_ns()
    us = lambda ns: f"{ns / 1000:.2f} us"  # noqa: E731
    print(f"authorize, allowed, CPU time per call (best of {ROUNDS} x {CALLS:,} calls):")
    print(f"  Python                         {us(py)}")
    print(f"  Node (lockkeeper.js)           {us(node['wrapped'])}   {node['wrapped'] / py:.2f}x Python")
    print(f"  Node, native only (index.js)   {us(node['native'])}")
    print(f"  Node, no scope                 {us(node['wrapped_no_scope'])}")
    print(f"  Node, native only, no scope    {us(node['native_no_scope'])}")


if __name__ == "__main__":
    main()
