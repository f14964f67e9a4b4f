import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const { Policy, SigningKey, PublicKey, Envelope, Statement, digest } = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))
const fixtures = join(here, '..', '..', 'testdata', 'fixtures')
const BUILDER = 'https://ci.example.org/builders/trusted'

test('a P-256 key signs, verifies and vouches for a builder beside ed25519', () => {
  const p256 = SigningKey.generate('ecdsa-p256')
  const ed = SigningKey.generate()
  assert.equal(p256.scheme, 'ecdsa-p256')
  assert.equal(ed.scheme, 'ed25519')
  assert.equal(p256.publicKey.scheme, 'ecdsa-sha2-nistp256')
  assert.equal(SigningKey.fromPem(p256.toPem()).keyid, p256.keyid)
  const artifact = digest(Buffer.from('app'))
  const statement = Statement.provenance(BUILDER, [['app', artifact]], { source: 'git+https://g/r/app', ref: 'refs/heads/main' })
  const envelope = Envelope.sign(statement.toJson(), [p256, ed])
  assert.equal(envelope.verify([p256.publicKey, ed.publicKey], 2).length, 2)
  // One key in two encodings is one key.
  const asJson = PublicKey.fromSecuresystemslib(p256.publicKey.toSecuresystemslib())
  assert.ok(asJson.equals(p256.publicKey))
  assert.throws(() => envelope.verify([p256.publicKey, asJson], 2), (e) => e.code === 'envelope/threshold-not-met')
  const policy = Policy.fromYaml(
    'zones: {trusted: {}}\nenvironments: {production: {min_build_zone: trusted}}\n' +
    `builders: {'${BUILDER}': {zone: trusted, keys: [${JSON.stringify(p256.publicKey.toSecuresystemslib())}]}}\n`)
  assert.ok(policy.verifyProvenance(envelope.toJson(), artifact, 'production').allowed)
  assert.throws(() => SigningKey.generate('rsa'), (e) => e.code === 'input/unsupported-key')
})

test('ECDSA and RSA envelopes written by other tools verify with their keys', () => {
  const vsaKey = PublicKey.parse(readFileSync(join(fixtures, 'dsse/slsa-verifier_vsa_signing_public_key.pem'), 'utf8'))
  const vsa = Envelope.fromJson(readFileSync(join(fixtures, 'dsse/slsa-verifier_gke-gce-pre.bcid-vsa.jsonl')))
  assert.deepEqual(vsa.verify([vsaKey]), [vsaKey.keyid])
  const bobPem = readFileSync(join(fixtures, 'intoto-layout/in-toto_bob.pub'), 'utf8')
  const bob = PublicKey.fromPem(bobPem)
  assert.ok(bob.keyids.includes('776a00e29f3559e0141b3b096f696abc6cfb0c657ab40f441132b345b08453f5'))
  const link = Envelope.fromJson(readFileSync(join(fixtures, 'intoto-layout/in-toto_dsse_write-code.776a00e2.link')))
  assert.deepEqual(link.verify([bob]), [bob.keyid])
  assert.throws(() => link.verify([bob.withScheme('rsa-pkcs1v15-sha256')]), (e) => e.code === 'envelope/threshold-not-met')
  assert.ok(PublicKey.fromPem(bobPem, 'rsassa-pss-sha256').equals(bob))
  const der = readFileSync(join(fixtures, 'sigstore/keys/sigstore-rs/ECDSA_P256_ASN1_PUBLIC_DER.pub'))
  assert.ok(PublicKey.fromDer(der).equals(PublicKey.parse(der)))
})

test('refused keys throw with their rule code', () => {
  assert.throws(
    () => PublicKey.parse(readFileSync(join(fixtures, 'sigstore/keys/in-toto-golang/frank_p521.pub'), 'utf8')),
    (e) => e.code === 'input/unsupported-key' && /P-521/.test(e.message))
  assert.throws(
    () => PublicKey.parse(readFileSync(join(fixtures, 'sigstore/keys/securesystemslib/ecdsa_p256_private.TEST-ONLY.pem'), 'utf8')),
    (e) => e.code === 'input/invalid-key')
})
