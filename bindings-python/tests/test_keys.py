"""ECDSA and RSA keys: read from every form, DSSE verified with them, P-256 signing, and
interoperability with securesystemslib in both directions (its ECDSA and RSA envelopes verify
here, ours with P-256 verify there, with the same key ids)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib import exceptions as sslib_exceptions
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import CryptoSigner, SSlibKey

import lockkeeper

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "testdata" / "fixtures"
BUILDER = "https://ci.example.org/builders/trusted"


def statement(artifact: str) -> lockkeeper.Statement:
    return lockkeeper.Statement.provenance(
        BUILDER, [("app.tar.gz", artifact)], source="git+https://g.example.org/r/app", ref="refs/heads/main"
    )


def sslib_envelope(payload: bytes, signer: CryptoSigner) -> dict[str, object]:
    env = SslibEnvelope(payload=payload, payload_type="application/vnd.in-toto+json", signatures={})
    env.sign(signer)
    return env.to_dict()


def p384_signer() -> CryptoSigner:
    private = ec.generate_private_key(ec.SECP384R1())
    return CryptoSigner(private, SSlibKey.from_crypto(private.public_key()))


SIGNERS = {
    "ecdsa-sha2-nistp256": lambda: CryptoSigner.generate_ecdsa(),
    "ecdsa-sha2-nistp384": p384_signer,
    "rsassa-pss-sha256": lambda: CryptoSigner.generate_rsa(size=2048),
    "rsa-pkcs1v15-sha256": lambda: CryptoSigner.generate_rsa(scheme="rsa-pkcs1v15-sha256", size=2048),
}


@pytest.mark.parametrize("scheme", sorted(SIGNERS))
def test_securesystemslib_envelopes_verify_here_with_the_same_keyid(scheme: str) -> None:
    signer = SIGNERS[scheme]()
    assert signer.public_key.scheme == scheme
    artifact = lockkeeper.digest(b"app")
    env = sslib_envelope(statement(artifact).to_json().encode(), signer)
    key = lockkeeper.PublicKey.from_securesystemslib(signer.public_key.to_dict())
    assert key.scheme == scheme
    assert key.keyid == signer.public_key.keyid
    ours = lockkeeper.Envelope.from_json(json.dumps(env))
    assert ours.verify([key]) == [key.keyid]
    # The same key read from its PEM alone is the same key, with securesystemslib's default id.
    pem = lockkeeper.PublicKey.parse(signer.public_key.keyval["public"])
    assert pem == key
    assert ours.verify([pem]) == [pem.keyid]
    if scheme != "rsa-pkcs1v15-sha256":
        assert pem.keyid == signer.public_key.keyid
    # A policy builder trusts it as securesystemslib object and as PEM text.
    for written in [json.dumps(signer.public_key.to_dict()), json.dumps(pem.to_pem())]:
        policy = lockkeeper.Policy.from_yaml(
            "zones: {trusted: {}}\nenvironments: {production: {min_build_zone: trusted}}\n"
            f"builders: {{'{BUILDER}': {{zone: trusted, keys: [{written}]}}}}\n"
        )
        decision = policy.verify_provenance(json.dumps(env), artifact, environment="production")
        assert decision.allowed, str(decision)
    # Tampered: fails here and there.
    tampered = json.loads(json.dumps(env))
    raw = base64.b64decode(tampered["payload"]).replace(b"refs/heads/main", b"refs/heads/evil")
    tampered["payload"] = base64.b64encode(raw).decode()
    with pytest.raises(lockkeeper.VerificationError):
        lockkeeper.Envelope.from_json(json.dumps(tampered)).verify([key])
    with pytest.raises(sslib_exceptions.VerificationError):
        SslibEnvelope.from_dict(json.loads(json.dumps(tampered))).verify([signer.public_key], 1)


def test_an_rsa_key_pinned_to_one_scheme_refuses_the_other() -> None:
    signer = CryptoSigner.generate_rsa(scheme="rsa-pkcs1v15-sha256", size=2048)
    env = lockkeeper.Envelope.from_json(json.dumps(sslib_envelope(b"{}", signer)))
    pem = signer.public_key.keyval["public"]
    assert env.verify([lockkeeper.PublicKey.from_pem(pem, scheme="rsa-pkcs1v15-sha256")])
    with pytest.raises(lockkeeper.VerificationError):
        env.verify([lockkeeper.PublicKey.from_pem(pem, scheme="rsassa-pss-sha256")])


def test_our_p256_envelopes_verify_in_securesystemslib() -> None:
    key = lockkeeper.SigningKey.generate("ecdsa-p256")
    assert key.scheme == "ecdsa-p256"
    assert key.public_key.scheme == "ecdsa-sha2-nistp256"
    env = json.loads(lockkeeper.Envelope.sign(statement(lockkeeper.digest(b"app")).to_json(), [key]).to_json())
    theirs = SSlibKey.from_crypto(load_pem_public_key(key.public_key.to_pem().encode()))
    assert theirs.keyid == key.keyid
    assert theirs.to_dict() == key.public_key.to_securesystemslib()
    # from_dict consumes the dict it is given: hand it a copy.
    accepted = SslibEnvelope.from_dict(json.loads(json.dumps(env))).verify([theirs], 1)
    assert list(accepted) == [key.keyid]
    sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
    sig[-1] ^= 1
    env["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    with pytest.raises(sslib_exceptions.VerificationError):
        SslibEnvelope.from_dict(json.loads(json.dumps(env))).verify([theirs], 1)
    with pytest.raises(lockkeeper.VerificationError):
        lockkeeper.Envelope.from_json(json.dumps(env)).verify([key.public_key])


def test_p256_keys_round_trip_and_count_once_in_any_encoding() -> None:
    key = lockkeeper.SigningKey.generate(scheme="ecdsa-p256")
    again = lockkeeper.SigningKey.from_pem(key.to_pem())
    assert again.keyid == key.keyid and again.scheme == "ecdsa-p256"
    assert "PRIVATE" not in repr(key) and key.to_pem() not in repr(key)
    ed = lockkeeper.SigningKey.generate()
    env = lockkeeper.Envelope.sign(b"{}", [key, ed], payload_type="t")
    as_json = lockkeeper.PublicKey.from_securesystemslib(key.public_key.to_securesystemslib())
    assert as_json == key.public_key
    assert len(env.verify([key.public_key, ed.public_key], 2)) == 2
    with pytest.raises(lockkeeper.VerificationError):
        env.verify([key.public_key, as_json], 2)
    with pytest.raises(lockkeeper.LockkeeperError) as err:
        lockkeeper.SigningKey.generate("rsa")
    assert err.value.code == "input/unsupported-key"


def test_vendored_keys_and_envelopes_of_other_tools() -> None:
    der = (FIXTURES / "sigstore/keys/sigstore-rs/ECDSA_P256_ASN1_PUBLIC_DER.pub").read_bytes()
    assert lockkeeper.PublicKey.from_der(der) == lockkeeper.PublicKey.parse(der)
    vsa_key = lockkeeper.PublicKey.parse((FIXTURES / "dsse/slsa-verifier_vsa_signing_public_key.pem").read_text())
    vsa = lockkeeper.Envelope.from_json((FIXTURES / "dsse/slsa-verifier_gke-gce-pre.bcid-vsa.jsonl").read_bytes())
    assert vsa.verify([vsa_key]) == [vsa_key.keyid]
    bob = lockkeeper.PublicKey.parse((FIXTURES / "intoto-layout/in-toto_bob.pub").read_text())
    assert "776a00e29f3559e0141b3b096f696abc6cfb0c657ab40f441132b345b08453f5" in bob.keyids
    link = lockkeeper.Envelope.from_json((FIXTURES / "intoto-layout/in-toto_dsse_write-code.776a00e2.link").read_bytes())
    assert link.verify([bob]) == [bob.keyid]
    with pytest.raises(lockkeeper.InvalidRequestError) as err:
        lockkeeper.PublicKey.parse((FIXTURES / "sigstore/keys/in-toto-golang/frank_p521.pub").read_text())
    assert err.value.code == "input/unsupported-key"
    assert "P-521" in str(err.value)
