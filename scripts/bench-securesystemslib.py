#!/usr/bin/env python3
"""Times securesystemslib and lockkeeper verifying the same envelopes, in one run.

Both sides get the same DSSE envelopes (signed by securesystemslib's ed25519 signer, SLSA v1
provenance) and do the same job: verify the signature with the trusted key, then check that the
statement is about the artifact and names the trusted builder. lockkeeper also checks the zone
and the source (its full decision), so the comparison, if anything, favours securesystemslib.

    .venv/bin/maturin develop --release -m bindings-python/Cargo.toml
    .venv/bin/python scripts/bench-securesystemslib.py [--envelopes N] [--rounds R] [--batch B]

Prints the median time per envelope for each tool and the ratio. Exits non-zero if the two tools
disagree on any envelope.

The batch mode, in the same run, times signature verification alone: securesystemslib reads and
verifies each envelope (`Envelope.from_dict` + `verify`), lockkeeper reads each
(`Envelope.from_json`) and verifies them B at a time with `verify_envelopes` (ed25519 batch
verification).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import time

from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import CryptoSigner

import lockkeeper

BUILDER = "https://ci.example.org/builders/trusted"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--envelopes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()

    signer = CryptoSigner.generate_ed25519()
    key = lockkeeper.PublicKey.from_securesystemslib(signer.public_key.to_dict())
    policy = lockkeeper.Policy.from_yaml(
        "zones: {untrusted: {}, trusted: {dominates: [untrusted]}}\n"
        "environments: {production: {min_build_zone: trusted}}\n"
        f"builders: {{'{BUILDER}': {{zone: trusted, keys: [{json.dumps(key.to_pem())}]}}}}\n"
        "sources: [{uri: 'git+https://gerrit.example.org/r/**'}]\n"
    )
    cases = []
    for i in range(args.envelopes):
        artifact = lockkeeper.digest(f"artifact {i}".encode())
        statement = lockkeeper.Statement.provenance(
            BUILDER, [(f"app-{i}.tar.gz", artifact)],
            source="git+https://gerrit.example.org/r/app", ref="refs/heads/main",
        )
        env = SslibEnvelope(statement.to_json().encode(), lockkeeper.IN_TOTO_PAYLOAD_TYPE, {})
        env.sign(signer)
        cases.append((json.dumps(env.to_dict()), artifact))

    def sslib_decide(text: str, artifact: str) -> bool:
        env = SslibEnvelope.from_dict(json.loads(text))
        env.verify([signer.public_key], 1)
        statement = json.loads(env.payload)
        algo, hexdigest = artifact.split(":", 1)
        covered = any(s.get("digest", {}).get(algo) == hexdigest for s in statement["subject"])
        builder = statement["predicate"]["runDetails"]["builder"]["id"]
        return covered and builder == BUILDER

    def lockkeeper_decide(text: str, artifact: str) -> bool:
        return policy.verify_provenance(text, artifact, environment="production").allowed

    for text, artifact in cases:
        if not (sslib_decide(text, artifact) and lockkeeper_decide(text, artifact)):
            print("the tools disagree on an envelope")
            return 1
    # A tampered envelope must fail in both.
    bad = json.loads(cases[0][0])
    bad["payload"] = base64.b64encode(base64.b64decode(bad["payload"]) + b" ").decode()
    try:
        sslib_decide(json.dumps(bad), cases[0][1])
        print("securesystemslib accepted a tampered envelope")
        return 1
    except Exception:
        pass
    if lockkeeper_decide(json.dumps(bad), cases[0][1]):
        print("lockkeeper accepted a tampered envelope")
        return 1

    def per_envelope(fn) -> float:
        samples = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            for text, artifact in cases:
                fn(text, artifact)
            samples.append((time.perf_counter() - t) / len(cases))
        return statistics.median(samples)

    # Batch mode: the same envelopes, signatures only.
    texts = [text for text, _ in cases]
    batches = [texts[i : i + args.batch] for i in range(0, len(texts), args.batch)]

    def sslib_verify(text: str) -> bool:
        SslibEnvelope.from_dict(json.loads(text)).verify([signer.public_key], 1)
        return True

    def lockkeeper_verify_batch(batch: list[str]) -> bool:
        envelopes = [lockkeeper.Envelope.from_json(t) for t in batch]
        return all(isinstance(r, list) for r in lockkeeper.verify_envelopes(envelopes, [key]))

    if not all(lockkeeper_verify_batch(b) for b in batches):
        print("lockkeeper's batch refused a good envelope")
        return 1
    bad_batch = [json.dumps(bad)] + texts[1 : args.batch]
    results = lockkeeper.verify_envelopes([lockkeeper.Envelope.from_json(t) for t in bad_batch], [key])
    if isinstance(results[0], list) or not all(isinstance(r, list) for r in results[1:]):
        print("lockkeeper's batch did not single out the tampered envelope")
        return 1

    def per_envelope_batched() -> float:
        samples = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            for b in batches:
                lockkeeper_verify_batch(b)
            samples.append((time.perf_counter() - t) / len(texts))
        return statistics.median(samples)

    def per_envelope_single(fn) -> float:
        samples = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            for text in texts:
                fn(text)
            samples.append((time.perf_counter() - t) / len(texts))
        return statistics.median(samples)

    ours = per_envelope(lockkeeper_decide)
    theirs = per_envelope(sslib_decide)
    print(f"envelopes: {len(cases)}, rounds: {args.rounds}, lockkeeper build: {lockkeeper.BUILD_PROFILE}")
    if lockkeeper.BUILD_PROFILE != "release":
        print("(a debug build: for real figures run `maturin develop --release -m bindings-python/Cargo.toml` first)")
    print(f"securesystemslib verify + check: {theirs * 1e6:8.1f} us/envelope")
    print(f"lockkeeper verify_provenance:    {ours * 1e6:8.1f} us/envelope")
    print(f"ratio (securesystemslib / lockkeeper): {theirs / ours:.2f}x")
    batched = per_envelope_batched()
    single = per_envelope_single(lambda t: lockkeeper.Envelope.from_json(t).verify([key]))
    sslib_sig = per_envelope_single(sslib_verify)
    print(f"signatures only, batches of {args.batch}:")
    print(f"  securesystemslib from_dict + verify:          {sslib_sig * 1e6:8.1f} us/envelope")
    print(f"  lockkeeper from_json + Envelope.verify:       {single * 1e6:8.1f} us/envelope")
    print(f"  lockkeeper from_json + verify_envelopes:      {batched * 1e6:8.1f} us/envelope")
    print(f"  ratio (securesystemslib / lockkeeper batch): {sslib_sig / batched:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
