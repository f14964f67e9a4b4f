// Sigstore bundles through the Node binding: what users have (a GitHub-built wheel's bundle, npm
// provenance), identity policy with Fulcio claims, and bundles as provenance evidence.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const lk = require('../lockkeeper.js')
const { Policy, TrustedRoot, verifyBundle, digest } = lk
const here = dirname(fileURLToPath(import.meta.url))
const fixtures = join(here, '..', '..', 'testdata', 'fixtures', 'sigstore')
const prod = TrustedRoot.fromFile(join(fixtures, 'trusted-roots', 'production.trusted_root.json'))
const wheel = readFileSync(join(fixtures, 'bundles', 'python', 'bundle_v3_github.whl'))
const bundle = readFileSync(join(fixtures, 'bundles', 'python', 'bundle_v3_github.whl.sigstore'))
const issuer = 'https://token.actions.githubusercontent.com'
const subject = 'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2'

test('a GitHub-built wheel verifies with its identity and Fulcio claims', () => {
  const r = verifyBundle(bundle, prod, {
    artifact: wheel,
    identity: { issuer, subject_pattern: 'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/*', runner_environment: 'github-hosted' }
  })
  assert.equal(r.allowed, true, r.toString())
  assert.equal(r.verified.signer.subject, subject)
  assert.equal(r.verified.signer.claims.source_repository_ref, 'refs/tags/v0.1.2')
  assert.deepEqual(r.identityChecks.map((c) => c.ok), [true, true, true])
  assert.equal(JSON.parse(JSON.stringify(r)).verified.tlog_verified, true)
})

test('a refused claim is a denial whose facts show the value', () => {
  const r = verifyBundle(bundle, prod, { digest: digest(wheel), identity: { issuer, subject, runner_environment: 'self-hosted' } })
  assert.equal(r.allowed, false)
  assert.deepEqual(r.decision.codes, ['sigstore/claim-mismatch'])
  assert.equal(r.verified, null)
  assert.equal(r.decision.violations[0].facts.identity_checks[2].actual, 'github-hosted')
})

test('a tampered bundle, another artifact or a bad identity block never allows', () => {
  const doc = JSON.parse(bundle)
  const sig = Buffer.from(doc.messageSignature.signature, 'base64')
  sig[sig.length - 3] ^= 1
  doc.messageSignature.signature = sig.toString('base64')
  const r = verifyBundle(JSON.stringify(doc), prod, { artifact: wheel, identity: { issuer, subject } })
  assert.equal(r.allowed, false)
  assert.equal(verifyBundle(bundle, prod, { artifact: Buffer.from('other'), identity: { issuer, subject } }).allowed, false)
  assert.throws(() => verifyBundle(bundle, prod, { artifact: wheel, identity: { issuer, subject, runner: 'x' } }),
    (e) => e instanceof lk.InvalidRequestError && e.code === 'policy/invalid-value')
  assert.throws(() => verifyBundle(bundle, prod, { artifact: wheel }), (e) => e.code === 'InvalidArg')
  assert.throws(() => TrustedRoot.fromJson('{}'), (e) => e.code === 'input/malformed-trusted-root')
})

test('a policy with a trusted root takes npm provenance as evidence', () => {
  const policy = Policy.fromFile(join(here, '..', '..', 'core', 'tests', 'cases', 'policies', 'sigstore.yaml'))
  const npm = readFileSync(join(fixtures, 'bundles', 'gh-cli', 'sigstore-js-2.1.0-bundle.json'))
  const artifact = digest(readFileSync(join(fixtures, 'bundles', 'gh-cli', 'sigstore-js-2.1.0.tgz')), 'sha512')
  assert.deepEqual(policy.verifyProvenance(npm, artifact, 'production').codes, ['sigstore/untrusted-certificate'])
  const d = policy.withTrustedRoot(prod).verifyProvenance(npm, artifact, 'production')
  assert.equal(d.allowed, true, d.toString())
})

test('the promotion gate takes a bundle as build evidence', () => {
  const policy = Policy.fromFile(join(here, '..', '..', 'core', 'tests', 'cases', 'policies', 'sigstore.yaml'))
  const npm = readFileSync(join(fixtures, 'bundles', 'gh-cli', 'sigstore-js-2.1.0-bundle.json'))
  const artifact = digest(readFileSync(join(fixtures, 'bundles', 'gh-cli', 'sigstore-js-2.1.0.tgz')), 'sha512')
  const request = { artifact, to: 'testing', by: 'alice', evidence: [npm], at: '2026-11-24T10:00:00Z' }
  assert.equal(policy.promote(request).allowed, false)
  const outcome = policy.withTrustedRoot(prod).promote(request)
  assert.equal(outcome.allowed, true, outcome.toString())
  // The allow names the bundle it rested on, its certificate identity and its Rekor entry.
  const [used] = outcome.decision.verified
  assert.equal(used.usedAs, 'provenance')
  assert.equal(used.evidence, 'evidence[0]')
  assert.equal(used.digest, digest(npm))
  assert.equal(used.signers[0].kind, 'certificate')
  assert.equal(used.signers[0].issuer, issuer)
  assert.deepEqual(used.signers[0].claims, { source_repository: 'https://github.com/sigstore/sigstore-js', runner_environment: 'github-hosted' })
  assert.equal(used.time.logIndex, 33351527)
  assert.equal(JSON.parse(JSON.stringify(outcome.decision)).verified[0].time.log_index, 33351527)
  assert.match(outcome.toString(), /time proven by Rekor log index 33351527/)
})

test('promotion VSAs state the SLSA build level the policy declares for the verified builder', () => {
  const cases = join(here, '..', '..', 'core', 'tests', 'cases')
  const policy = Policy.fromFile(join(cases, 'policies', 'promotion-slsa.yaml'))
  const artifact = 'sha256:d4f8968f9598a92443ed10908fd854db3399e3c58a0d5f7a61039f14cf52b808'
  const at = '2026-11-24T10:00:00Z'
  const built = policy.promote({ artifact, to: 'hardened', by: 'alice', at, evidence: [readFileSync(join(cases, 'envelopes', 'promo-build.json'))] })
  assert.equal(built.allowed, true, built.toString())
  assert.deepEqual(JSON.parse(built.promotionRecord.toJson()).predicate.verifiedLevels, ['LOCKKEEPER_ENVIRONMENT_HARDENED', 'SLSA_BUILD_LEVEL_3'])
  const low = policy.promote({ artifact, to: 'hardened', by: 'alice', at, evidence: [readFileSync(join(cases, 'envelopes', 'promo-build-untrusted.json'))] })
  assert.deepEqual(low.decision.codes, ['promotion/slsa-level-too-low'])
  assert.equal(low.decision.violations[0].facts.build_level, 1)
})
