#!/usr/bin/env python3
"""lockkeeper vs sigstore-python, in-process, on the same keyless bundle (a GitHub artifact
attestation made by actions/attest-build-provenance's reusable workflow: Fulcio chain, SCT,
Rekor dsse entry with SET, inclusion proof and checkpoint, DSSE, subject check), offline against
the same trusted root. (The npm bundle of the Rust bench has an intoto 0.0.2 log entry, which
sigstore-python 4.x no longer reads.) Build the binding with `maturin develop --release` first; a debug build's
timings say little.

    python scripts/bench-sigstore.py [N]
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import lockkeeper
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy

ROOT = Path(__file__).resolve().parents[1] / "testdata" / "fixtures" / "sigstore"
BUNDLE = (ROOT / "bundles" / "gh-cli" / "reusable-workflow-attestation.sigstore.json").read_bytes()
ARTIFACT = (ROOT / "bundles" / "gh-cli" / "reusable-workflow-artifact").read_bytes()
TRUSTED = ROOT / "trusted-roots" / "production.trusted_root.json"
ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d"


def ours(root: lockkeeper.TrustedRoot, digest: str) -> bool:
    return lockkeeper.verify_bundle(
        BUNDLE, trusted_root=root, digest=digest, identity={"issuer": ISSUER, "subject": SUBJECT}
    ).allowed


def theirs(verifier: Verifier, sha256: str) -> bool:
    _, payload = verifier.verify_dsse(Bundle.from_json(BUNDLE), policy.Identity(identity=SUBJECT, issuer=ISSUER))
    return any(s["digest"].get("sha256") == sha256 for s in json.loads(payload)["subject"])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sha256 = hashlib.sha256(ARTIFACT).hexdigest()
    root = lockkeeper.TrustedRoot.from_file(TRUSTED)
    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(TRUSTED)))
    assert ours(root, "sha256:" + sha256) and theirs(verifier, sha256)
    t = time.perf_counter()
    for _ in range(n):
        ours(root, "sha256:" + sha256)
    a = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n):
        theirs(verifier, sha256)
    b = (time.perf_counter() - t) / n
    print(f"lockkeeper ({lockkeeper.BUILD_PROFILE}): {a * 1e6:.0f} us/bundle; "
          f"sigstore-python: {b * 1e6:.0f} us/bundle; ratio {b / a:.1f}x")


if __name__ == "__main__":
    main()
