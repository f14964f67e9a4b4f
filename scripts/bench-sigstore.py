#!/usr/bin/env python3
"""lockkeeper vs sigstore-python, in-process, on the same keyless bundle (npm provenance of
sigstore 2.1.0: Fulcio chain, SCT, Rekor SET and inclusion proof, DSSE), offline against the
same trusted root. Build the binding with `maturin develop --release` first; a debug build's
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
BUNDLE = (ROOT / "bundles" / "gh-cli" / "sigstore-js-2.1.0-bundle.json").read_bytes()
TGZ = (ROOT / "bundles" / "gh-cli" / "sigstore-js-2.1.0.tgz").read_bytes()
TRUSTED = ROOT / "trusted-roots" / "production.trusted_root.json"
ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"


def ours(root: lockkeeper.TrustedRoot, digest: str) -> bool:
    return lockkeeper.verify_bundle(
        BUNDLE, trusted_root=root, digest=digest, identity={"issuer": ISSUER, "subject": SUBJECT}
    ).allowed


def theirs(verifier: Verifier, sha512: str) -> bool:
    _, payload = verifier.verify_dsse(Bundle.from_json(BUNDLE), policy.Identity(identity=SUBJECT, issuer=ISSUER))
    return any(s["digest"].get("sha512") == sha512 for s in json.loads(payload)["subject"])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sha512 = hashlib.sha512(TGZ).hexdigest()
    root = lockkeeper.TrustedRoot.from_file(TRUSTED)
    verifier = Verifier(trusted_root=TrustedRoot.from_file(str(TRUSTED)))
    assert ours(root, "sha512:" + sha512) and theirs(verifier, sha512)
    t = time.perf_counter()
    for _ in range(n):
        ours(root, "sha512:" + sha512)
    a = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for _ in range(n):
        theirs(verifier, sha512)
    b = (time.perf_counter() - t) / n
    print(f"lockkeeper ({lockkeeper.BUILD_PROFILE}): {a * 1e6:.0f} us/bundle; "
          f"sigstore-python: {b * 1e6:.0f} us/bundle; ratio {b / a:.1f}x")


if __name__ == "__main__":
    main()
