#!/usr/bin/env python3
"""lockkeeper vs sigstore-python, in-process, on the same keyless bundle (a GitHub artifact
attestation made by actions/attest-build-provenance's reusable workflow: Fulcio chain, SCT,
Rekor dsse entry with SET, inclusion proof and checkpoint, DSSE, subject check), offline against
the same trusted root. (The npm bundle of the Rust bench has an intoto 0.0.2 log entry, which
sigstore-python 4.x no longer reads.) Build the binding with `maturin develop --release` first; a debug build's
timings say little. Prints both per-bundle times, their ratio, and both against the floor: one
bare ECDSA P-256 verify by OpenSSL (`cryptography`, which sigstore-python uses).

    python scripts/bench-sigstore.py [N]
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import lockkeeper
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
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


def best(rounds: list[list[float]]) -> list[float]:
    return [min(r[i] for r in rounds) for i in range(len(rounds[0]))]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sha256 = hashlib.sha256(ARTIFACT).hexdigest()
    root = lockkeeper.TrustedRoot.from_file(TRUSTED)
    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(TRUSTED)))
    assert ours(root, "sha256:" + sha256) and theirs(verifier, sha256)
    # The floor: one bare ECDSA verify over a DSSE-sized message, by OpenSSL through
    # `cryptography` (what sigstore-python pays per signature). The bundle carries one P-384
    # signature (the leaf, under Fulcio's P-384 intermediate) and four distinct P-256 ones
    # (SCT, Rekor SET, checkpoint, DSSE).
    message = b"x" * 600
    p256 = ec.generate_private_key(ec.SECP256R1())
    s256 = p256.sign(message, ec.ECDSA(hashes.SHA256()))
    p384 = ec.generate_private_key(ec.SECP384R1())
    s384 = p384.sign(message, ec.ECDSA(hashes.SHA384()))
    pub256, pub384 = p256.public_key(), p384.public_key()
    calls = [
        lambda: ours(root, "sha256:" + sha256),
        lambda: theirs(verifier, sha256),
        lambda: pub256.verify(s256, message, ec.ECDSA(hashes.SHA256())),
        lambda: pub384.verify(s384, message, ec.ECDSA(hashes.SHA384())),
    ]
    # Interleaved rounds, best round of each: the machine is shared, and a burst of other
    # work then slows one round of every contender instead of one contender.
    rounds = []
    per_round = max(n // 10, 1)
    for _ in range(10):
        row = []
        for call in calls:
            t = time.perf_counter()
            for _ in range(per_round):
                call()
            row.append((time.perf_counter() - t) / per_round)
        rounds.append(row)
    a, b, floor, p384_time = best(rounds)
    print(f"lockkeeper ({lockkeeper.BUILD_PROFILE}): {a * 1e6:.0f} us/bundle")
    print(f"sigstore-python: {b * 1e6:.0f} us/bundle")
    print(f"ratio: {b / a:.1f}x")
    print(f"floor, one bare ECDSA P-256 verify (OpenSSL via cryptography): {floor * 1e6:.0f} us; "
          f"lockkeeper per bundle = {a / floor:.1f}x the floor, sigstore-python = {b / floor:.1f}x")
    print(f"the bundle's signatures by OpenSSL (1 P-384 at {p384_time * 1e6:.0f} us + 4 P-256): "
          f"{(p384_time + 4 * floor) * 1e6:.0f} us")


if __name__ == "__main__":
    main()
