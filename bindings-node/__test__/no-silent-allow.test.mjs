// Requests that would be answered about something other than what they ask are refused with a
// clear, typed error; never decided, and never a napi-internal conversion message.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const lockkeeper = require('../lockkeeper.js')
const { Policy } = lockkeeper
const here = dirname(fileURLToPath(import.meta.url))
const example = join(here, '..', '..', 'examples', 'wikimedia', 'policy.yaml')

test('authorize refuses an environment the policy does not define', () => {
  const p = Policy.fromFile(example)
  for (const who of ['dave', 'alice']) {
    assert.throws(() => p.authorize(who, 'deploy', { project: 'mediawiki/core', environment: 'prodution' }), (e) => {
      assert.equal(e.code, 'rbac/unknown-environment')
      assert.equal(e.name, 'InvalidRequestError')
      assert.match(e.message, /`prodution` is not defined in the policy \(defined: production, staging, testing\)/)
      return true
    })
  }
  assert.equal(p.authorize('alice', 'deploy', { project: 'mediawiki/core', environment: 'production' }).allowed, true)
})

test('checkApprovals refuses an environment the policy does not define', () => {
  const p = Policy.fromFile(example)
  assert.throws(
    () => p.checkApprovals(['bob'], { required: 1, project: 'mediawiki/core', environment: 'prodution' }),
    { code: 'rbac/unknown-environment' },
  )
  assert.equal(p.checkApprovals(['bob'], { required: 1, project: 'mediawiki/core', environment: 'production' }).allowed, true)
})

const cases = join(here, '..', '..', 'core', 'tests', 'cases')
const artifact = 'sha256:d4f8968f9598a92443ed10908fd854db3399e3c58a0d5f7a61039f14cf52b808'
const approvals = [{ principal: 'bob', at: '2026-11-23T10:00:00Z' }, { principal: 'carol', at: '2026-11-23T10:00:00Z' }]
const envelope = (name) => readFileSync(join(cases, 'envelopes', name))

test('ignored evidence is listed on allow too', () => {
  const p = Policy.fromFile(join(cases, 'policies', 'promotion.yaml'))
  const outcome = p.promote({
    artifact, to: 'production', by: 'alice', version: '1.4.2', at: '2026-11-24T10:00:00Z', approvals,
    evidence: ['not-an-envelope.json', 'promo-build.json', 'untrusted-key.json', 'promo-in-staging.json'].map(envelope),
  })
  assert.equal(outcome.allowed, true)
  assert.deepEqual(outcome.evidenceIgnored.map((e) => e.evidence), ['evidence[0]', 'evidence[2]'])
  assert.equal(outcome.evidenceIgnored[1].why, 'no signature by a key the policy trusts')
  assert.deepEqual(outcome.toJSON().evidence_ignored, outcome.evidenceIgnored.map((e) => ({ ...e })))
  assert.match(String(outcome), /evidence ignored: evidence\[2\]: no signature by a key the policy trusts/)
})

test('a negative or fractional count is an error, not 4294967295 or a truncation', () => {
  const p = Policy.fromFile(example)
  for (const required of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => p.checkApprovals(['bob'], { required, project: 'mediawiki/core' }), (e) => {
      assert.equal(e.code, 'InvalidArg')
      assert.match(e.message, /`options\.required` must be a whole number from 0 up/)
      return true
    })
  }
  assert.equal(p.checkApprovals(['bob'], { required: 1, project: 'mediawiki/core' }).allowed, true)

  const key = lockkeeper.SigningKey.generate()
  const envelope = lockkeeper.Envelope.sign('{}', [key], 'application/x-test')
  for (const threshold of [-1, 0.5, 2.5]) {
    assert.throws(() => envelope.verify([key.publicKey], threshold), (e) => {
      assert.equal(e.code, 'InvalidArg')
      assert.match(e.message, /`threshold` must be a whole number from 0 up/)
      return true
    })
  }
  assert.deepEqual(envelope.verify([key.publicKey], 1), [key.keyid])
  assert.throws(() => envelope.verify([key.publicKey], 0), { code: 'envelope/threshold-not-met' })
})

test('a wrong argument names the argument; no napi-internal message reaches the caller', () => {
  const p = Policy.fromFile(example)
  const key = lockkeeper.SigningKey.generate()
  const cases = [
    [() => p.authorize(undefined, 'deploy'), /Policy\.authorize: argument `principal` is required \(a string\)/],
    [() => p.authorize('alice', 5), /Policy\.authorize: argument `action` must be a string, got number 5/],
    [() => p.authorize('alice', 'deploy', 'production'), /argument `scope` must be Scope, got a string/],
    [() => p.authorize('alice', 'deploy', { environment: 3 }), /`scope\.environment` must be a string/],
    [() => p.checkApprovals('bob', { required: 1 }), /argument `approvals` must be Array<string>, got a string/],
    [() => p.checkApprovals(['bob'], {}), /`options\.required` is required/],
    [() => p.promote(), /Policy\.promote: argument `request` is required/],
    [() => p.promote({ to: 'staging', by: 'alice' }), /`request\.artifact` is required/],
    [() => p.promote({ artifact, to: 'staging', by: 'alice', approvals: [{ at: '2026-11-24T10:00:00Z' }] }), /`request\.approvals\[\]\.principal` is required/],
    [() => p.promote({ artifact, to: 'staging', by: 'alice', approvals: [{ principal: 3 }] }), /`request\.approvals\[\]\.principal` must be a string/],
    [() => p.promote({ artifact, to: 'staging', by: 'alice', approvals: [{ principal: 'bob', at: 5 }] }), /`request\.approvals\[\]\.at` must be a string or a Date/],
    [() => Policy.fromFile(), /Policy\.fromFile: argument `path` is required/],
    [() => lockkeeper.digest(), /digest: argument `data` is required/],
    [() => lockkeeper.Envelope.sign('{}', ['not a key']), /Envelope\.sign: argument `keys` must be Array<SigningKey>/],
    [() => lockkeeper.Envelope.sign('{}', [key]).verify(['nope']), /Envelope\.verify: argument `keys` must be Array<PublicKey>/],
    [() => new lockkeeper.AuditLog(), /new AuditLog: argument `path` is required/],
  ]
  for (const [call, message] of cases) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof TypeError, `${e.name}: ${e.message}`)
      assert.equal(e.code, 'InvalidArg')
      assert.match(e.message, message)
      assert.doesNotMatch(e.message, /rust type|napi|Failed to/)
      return true
    })
  }
  // Errors that are answers, not conversion failures, reach the caller unchanged.
  assert.throws(() => Policy.fromFile('/nonexistent/policy.yaml'), (e) => !(e instanceof TypeError) && /^cannot read/.test(e.message))
  assert.throws(() => p.authorize('alice', 'deploy', { env: 'x' }), /scope: unknown option `env`/)
})

test('errors are instances of exported classes', () => {
  const p = Policy.fromFile(example)
  assert.throws(() => p.authorize('alice', 'deplyo'), (e) => {
    assert.ok(e instanceof lockkeeper.InvalidRequestError)
    assert.ok(e instanceof lockkeeper.LockkeeperError)
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'InvalidRequestError')
    assert.equal(e.code, 'rbac/unknown-action')
    return true
  })
  assert.throws(() => Policy.fromYaml('zones: {a: {dominates: [b]}}'), (e) => {
    assert.ok(e instanceof lockkeeper.PolicyError)
    assert.ok(!(e instanceof lockkeeper.InvalidRequestError))
    assert.equal(e.code, 'policy/undefined-reference')
    return true
  })
  const key = lockkeeper.SigningKey.generate()
  const other = lockkeeper.SigningKey.generate()
  const envelope = lockkeeper.Envelope.sign('{}', [key], 'application/x-test')
  assert.throws(() => envelope.verify([other.publicKey], 1), (e) => e instanceof lockkeeper.VerificationError && Array.isArray(e.keyids))
  assert.ok(p instanceof lockkeeper.Policy)
  assert.ok(p.authorize('alice', 'deploy', { project: 'mediawiki/core' }) instanceof lockkeeper.Decision)
})

test('console.log shows a decision and an outcome', () => {
  const p = Policy.fromFile(example)
  const denied = inspect(p.authorize('dave', 'deploy', { project: 'mediawiki/core', environment: 'production' }))
  assert.match(denied, /^Decision \{/)
  assert.match(denied, /allowed: false/)
  assert.match(denied, /code: 'rbac\/missing-permission'/)
  assert.match(denied, /principal: 'dave'/)
  const outcome = inspect(p.promote({ artifact, to: 'staging', by: 'alice', at: '2026-11-24T10:00:00Z' }))
  assert.match(outcome, /^DeployOutcome \{/)
  assert.match(outcome, /evidence_ignored: \[\]/)
})

test('a Date is read to the millisecond, and no time means now', () => {
  const p = Policy.fromFile(join(cases, 'policies', 'promotion.yaml'))
  const evidence = [envelope('promo-build.json')]
  const exact = p.promote({ artifact, to: 'testing', by: 'alice', evidence, at: new Date('2026-11-24T11:00:00.123+01:00') })
  assert.equal(exact.allowed, true)
  assert.equal(exact.toJSON().decided_at, '2026-11-24T10:00:00.123Z')
  // Without `at` the core decides at the present: one clock, not one per front end.
  const before = Date.now()
  const now = p.promote({ artifact, to: 'testing', by: 'alice', evidence })
  const decided = Date.parse(now.toJSON().decided_at)
  assert.ok(decided >= before - 1000 && decided <= Date.now() + 1000, now.toJSON().decided_at)
  assert.throws(
    () => p.promote({ artifact, to: 'testing', by: 'alice', version: '1.x', at: '2026-11-24T10:00:00Z' }),
    (e) => e instanceof lockkeeper.InvalidRequestError && e.code === 'input/invalid-version',
  )
})

test('times are RFC 3339 strings or Dates', () => {
  const p = Policy.fromFile(join(cases, 'policies', 'promotion.yaml'))
  const evidence = ['promo-build.json', 'promo-in-staging.json'].map(envelope)
  const promote = (at, approvalsGiven) =>
    p.promote({ artifact, to: 'production', by: 'alice', version: '1.4.2', at, evidence, approvals: approvalsGiven })
  const asText = promote('2026-11-24T10:00:00Z', approvals)
  assert.equal(asText.allowed, true)
  const approved = new Date(Date.UTC(2026, 10, 23, 10))
  const asDate = promote(new Date('2026-11-24T11:00:00+01:00'), [{ principal: 'bob', at: approved }, { principal: 'carol', at: approved }])
  assert.equal(asDate.allowed, true)
  assert.equal(asDate.promotionRecord.predicate.timeVerified, '2026-11-24T10:00:00Z')
  assert.deepEqual(asDate.toJSON(), asText.toJSON())
  for (const [at, list] of [[new Date('not a date'), approvals], ['yesterday', approvals], ['2026-11-24T10:00:00Z', [{ principal: 'bob', at: new Date(NaN) }]]]) {
    assert.throws(() => promote(at, list), (e) => e instanceof lockkeeper.InvalidRequestError && e.code === 'input/invalid-time')
  }
  assert.throws(() => promote(1764000000000, approvals), (e) => {
    assert.equal(e.code, 'InvalidArg')
    assert.match(e.message, /Policy\.promote: `request\.at` must be a string or a Date/)
    assert.doesNotMatch(e.message, /rust type|napi|none of these/)
    return true
  })
})
