import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const lk = require('../index.js')
const { Policy, SigningKey, PublicKey, Envelope, Statement } = lk
const here = dirname(fileURLToPath(import.meta.url))
const fixtures = join(here, '..', '..', 'testdata', 'fixtures')
const BUILDER = 'https://ci.example.org/builders/trusted'

function policyTrusting (key) {
  return Policy.fromYaml(
    'zones: {untrusted: {}, trusted: {dominates: [untrusted]}}\n' +
    'environments: {production: {min_build_zone: trusted}}\n' +
    `builders: {'${BUILDER}': {zone: trusted, keys: [${JSON.stringify(key.toPem())}]}}\n`)
}

test('digests of buffers and files', () => {
  assert.equal(lk.digest(Buffer.from('')), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  const dir = mkdtempSync(join(tmpdir(), 'lk-'))
  writeFileSync(join(dir, 'a'), 'x'.repeat(100000))
  assert.equal(lk.digestFile(join(dir, 'a')), lk.digest(Buffer.from('x'.repeat(100000))))
  assert.match(lk.digest(Buffer.from('a'), 'sha512'), /^sha512:[0-9a-f]{128}$/)
})

test('sign, verify and decide; a rebuilt artifact is not covered', () => {
  const key = SigningKey.generate()
  assert.equal(SigningKey.fromPem(key.toPem()).keyid, key.keyid)
  const artifact = lk.digest(Buffer.from('app'))
  const statement = Statement.provenance(BUILDER, [['app.tar.gz', artifact]], {
    source: 'git+https://gerrit.example.org/r/web/app', ref: 'refs/heads/main'
  })
  assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v1')
  assert.ok(statement.covers(artifact))
  const envelope = Envelope.sign(statement.toJson(), [key])
  assert.deepEqual(envelope.verify([key.publicKey]), [key.keyid])
  const policy = policyTrusting(key.publicKey)
  const ok = policy.verifyProvenance(envelope.toJson(), artifact, 'production')
  assert.equal(ok.allowed, true, String(ok))
  const other = policy.verifyProvenance(envelope.toJson(), lk.digest(Buffer.from('rebuilt')), 'production')
  assert.deepEqual(other.codes, ['provenance/subject-mismatch'])
})

test('a tampered envelope is denied with bad-signature', () => {
  const key = SigningKey.generate()
  const artifact = lk.digest(Buffer.from('app'))
  const json = JSON.parse(Envelope.sign(Statement.provenance(BUILDER, [['a', artifact]]).toJson(), [key]).toJson())
  const payload = Buffer.from(json.payload, 'base64').toString().replace('"a"', '"b"')
  json.payload = Buffer.from(payload).toString('base64')
  const d = policyTrusting(key.publicKey).verifyProvenance(JSON.stringify(json), artifact)
  assert.deepEqual(d.codes, ['provenance/bad-signature'])
})

test('errors carry codes', () => {
  assert.throws(() => PublicKey.fromHex('00'), (e) => e.code === 'input/invalid-key')
  assert.throws(() => Envelope.fromJson('{}'), (e) => e.code === 'input/malformed-envelope')
  const a = SigningKey.generate()
  const b = SigningKey.generate()
  const env = Envelope.sign(Buffer.from('{}'), [a], 'text/plain')
  assert.throws(() => env.verify([a.publicKey, b.publicKey], 2), (e) => {
    assert.equal(e.code, 'envelope/threshold-not-met')
    assert.deepEqual(e.keyids, [a.keyid])
    return true
  })
})

test('securesystemslib-signed fixtures verify with their key object', () => {
  const keyObject = JSON.parse(readFileSync(join(fixtures, 'dsse', 'attestation-verifier_key.pub'), 'utf8'))
  const key = PublicKey.fromSecuresystemslib(keyObject)
  const env = Envelope.fromJson(readFileSync(join(fixtures, 'dsse', 'attestation-verifier_build.fe1c6281.json')))
  assert.deepEqual(env.verify([key]), [key.keyid])
  assert.ok(key.keyids.includes(env.keyids[0]))
})
