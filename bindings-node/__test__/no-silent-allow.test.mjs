// Requests that would be answered about something other than what they ask are refused with a
// clear, typed error; never decided, and never a napi-internal conversion message.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const lockkeeper = require('../index.js')
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
