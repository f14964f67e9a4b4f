"""verify_envelopes: many envelopes in one call, each with the result it would have alone."""

from __future__ import annotations

import base64
import json

import lockkeeper


def tampered(env: lockkeeper.Envelope) -> lockkeeper.Envelope:
    doc = json.loads(env.to_json())
    sig = bytearray(base64.b64decode(doc["signatures"][0]["sig"]))
    sig[5] ^= 1
    doc["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    return lockkeeper.Envelope.from_json(json.dumps(doc))


def test_each_envelope_gets_its_own_result() -> None:
    ed, p256 = lockkeeper.SigningKey.generate(), lockkeeper.SigningKey.generate("ecdsa-sha2-nistp256")
    keys = [ed.public_key, p256.public_key]
    envelopes = [lockkeeper.Envelope.sign(f"payload {i}", [ed]) for i in range(80)]
    envelopes[7] = lockkeeper.Envelope.sign("ecdsa", [p256])
    envelopes[40] = tampered(envelopes[40])
    envelopes[41] = lockkeeper.Envelope.sign("untrusted", [lockkeeper.SigningKey.generate()])
    results = lockkeeper.verify_envelopes(envelopes, keys)
    assert len(results) == 80
    for i, (env, result) in enumerate(zip(envelopes, results)):
        if i in (40, 41):
            assert isinstance(result, lockkeeper.VerificationError), i
            assert result.code == "envelope/threshold-not-met"
            assert result.keyids == []
        else:
            assert result == env.verify(keys), i
    assert results[7] == [p256.keyid]
    assert results[0] == [ed.keyid]


def test_threshold_applies_to_each_envelope() -> None:
    a, b = lockkeeper.SigningKey.generate(), lockkeeper.SigningKey.generate()
    keys = [a.public_key, b.public_key]
    both = lockkeeper.Envelope.sign("x", [a, b])
    one = lockkeeper.Envelope.sign("y", [a])
    results = lockkeeper.verify_envelopes([both, one, both], keys, threshold=2)
    assert results[0] == [a.keyid, b.keyid] and results[2] == results[0]
    assert isinstance(results[1], lockkeeper.VerificationError)
    assert results[1].keyids == [a.keyid]
    assert lockkeeper.verify_envelopes([], keys) == []
    zero = lockkeeper.verify_envelopes([one], keys, threshold=0)
    assert isinstance(zero[0], lockkeeper.VerificationError)
