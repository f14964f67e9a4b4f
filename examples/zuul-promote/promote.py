#!/usr/bin/env python3
"""What a Zuul post-merge/promote job runs to move an artifact into the next environment.

1. verify the artifact's signed build provenance against the policy;
2. ask lockkeeper to promote the digest into the target environment (evidence: the provenance,
   the previous environment's promotion record, test results);
3. on allow, sign the promotion record with the deploy service's key and store it with the
   evidence (it is the evidence for the next hop);
4. append the decision to the signed, hash-chained audit log, allowed or not.

    python promote.py --policy policy.yaml --artifact image.tar --to staging \\
        --evidence evidence/ --deploy-key deploy.key --audit-log audit.jsonl --by zuul

Exit status: 0 promoted, 1 denied, 2 bad input (as the CLI).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import lockkeeper


def evidence_files(paths: list[Path]) -> list[bytes]:
    out: list[bytes] = []
    for p in paths:
        files = sorted(p.glob("*.json")) if p.is_dir() else [p]
        out.extend(f.read_bytes() for f in files)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", type=Path, required=True)
    parser.add_argument("--artifact", type=Path, required=True, help="the artifact file (its digest is what moves)")
    parser.add_argument("--to", required=True, help="target environment")
    parser.add_argument("--evidence", type=Path, nargs="+", required=True)
    parser.add_argument("--deploy-key", type=Path, required=True, help="the deploy service's private key")
    parser.add_argument("--audit-log", type=Path, required=True)
    parser.add_argument("--by", required=True, help="the principal the job acts for")
    parser.add_argument("--version")
    parser.add_argument("--project")
    parser.add_argument("--at", help="decision time, RFC 3339 (default: now)")
    args = parser.parse_args(argv)

    try:
        policy = lockkeeper.Policy.from_file(args.policy)
        deploy_key = lockkeeper.SigningKey.from_pem(args.deploy_key.read_text())
        digest = lockkeeper.digest_file(args.artifact)
        evidence = evidence_files(args.evidence)
    except (lockkeeper.LockkeeperError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    # 1. Provenance alone first, so the job log says plainly when the build is the problem.
    provenance = [
        d for d in (policy.verify_provenance(e, digest) for e in evidence)
        if "provenance/malformed" not in d.codes
    ]
    if not any(d.allowed for d in provenance):
        print(f"no trusted build provenance for {digest} among the evidence")
        for d in provenance:
            print(d)

    # 2. The promotion decision.
    outcome = policy.promote(
        digest, to=args.to, by=args.by, evidence=evidence, version=args.version,
        project=args.project, at=args.at,
    )
    print(outcome)

    # 3. The signed record is the evidence for the next environment.
    record = outcome.promotion_record
    if record is not None:
        envelope = lockkeeper.Envelope.sign(record.to_json(), [deploy_key])
        target = (args.evidence[0] if args.evidence[0].is_dir() else args.evidence[0].parent)
        out = target / f"promotion-{args.to}.json"
        out.write_text(envelope.to_json() + "\n")
        print(f"promotion record for {args.to} written to {out}")

    # 4. Every decision goes to the audit log, denials included.
    entry = lockkeeper.AuditLog(args.audit_log).append(json.loads(outcome.to_json()), deploy_key)
    print(f"audit log {args.audit_log}: entry {entry.seq}")
    return 0 if outcome.allowed else 1


if __name__ == "__main__":
    raise SystemExit(main())
