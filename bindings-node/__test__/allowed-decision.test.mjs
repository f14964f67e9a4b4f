// `Policy.authorize` through lockkeeper.js answers an allow without building the native
// `Decision` until it is read past `allowed` (docs/node.md, "Cost of a call"). These tests hold
// that object to the native one: every member gives what the native decision gives, with the
// time of the call, and every request the fast path does not take goes the native way.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
// The native method, taken before lockkeeper.js puts its own on the shared prototype.
const nativeAuthorize = require('../index.js').Policy.prototype.authorize
const lockkeeper = require('../lockkeeper.js')
const { Policy, Decision } = lockkeeper
const here = dirname(fileURLToPath(import.meta.url))
const example = join(here, '..', '..', 'examples', 'wikimedia', 'policy.yaml')
const scope = { project: 'mediawiki/core', environment: 'production' }

const withoutTime = (json) => {
  const { decided_at: at, ...rest } = json
  assert.match(at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  return rest
}

test('an allow reads as the native decision does, member by member', () => {
  const p = Policy.fromFile(example)
  const fast = p.authorize('alice', 'deploy', scope)
  const native = nativeAuthorize.call(p, 'alice', 'deploy', scope)
  assert.equal(native.allowed, true)
  assert.ok(fast instanceof Decision)
  assert.equal(fast.allowed, true)
  assert.deepEqual(fast.violations, native.violations)
  assert.deepEqual(fast.codes, native.codes)
  assert.equal(fast.subject, native.subject)
  assert.deepEqual(fast.passed, native.passed)
  assert.deepEqual(withoutTime(fast.toJSON()), withoutTime(native.toJSON()))
  assert.deepEqual(withoutTime(JSON.parse(fast.toJson())), withoutTime(native.toJSON()))
  assert.deepEqual(withoutTime(JSON.parse(JSON.stringify(fast))), withoutTime(native.toJSON()))
  assert.equal(fast.summary(), native.summary())
  assert.equal(String(fast), String(native))
  assert.deepEqual(JSON.parse(fast.toSarif()), JSON.parse(native.toSarif()))
  assert.deepEqual(Object.keys(fast), Object.keys(native))
})

test('an allow is stamped with the time of the call, not of its first reading', () => {
  const p = Policy.fromFile(example)
  const before = Date.now()
  const d = p.authorize('alice', 'deploy', scope)
  const after = Date.now()
  const at = Date.parse(d.toJSON().decided_at)
  assert.ok(at >= before && at <= after, `${at} within [${before}, ${after}]`)
  assert.equal(d.toJSON().decided_at, d.toJSON().decided_at)
})

test('console.log shows an allow as a decision', () => {
  const p = Policy.fromFile(example)
  const shown = inspect(p.authorize('alice', 'deploy', scope))
  assert.match(shown, /^Decision \{/)
  assert.match(shown, /allowed: true/)
  assert.match(shown, /subject: 'alice/)
})

test('a denial is the native decision itself', () => {
  const p = Policy.fromFile(example)
  const d = p.authorize('dave', 'deploy', scope)
  assert.equal(Object.getPrototypeOf(d), Decision.prototype)
  assert.equal(d.allowed, false)
  assert.deepEqual(d.codes, ['rbac/missing-permission'])
})

test('scopes the fast path does not take are answered, or refused, the native way', () => {
  const p = Policy.fromFile(example)
  // Fields given as null or undefined are absent, as natively.
  assert.equal(p.authorize('alice', 'deploy', { project: 'mediawiki/core', ref: null, environment: undefined }).allowed, true)
  assert.equal(p.authorize('alice', 'deploy', null).subject, p.authorize('alice', 'deploy').subject)
  // Unknown keys, values of the wrong type and scopes that are not objects: refused by name.
  assert.throws(() => p.authorize('alice', 'deploy', { ...scope, envirnoment: 'production' }), /unknown option `envirnoment`/)
  assert.throws(() => p.authorize('alice', 'deploy', { project: ['mediawiki/core'] }), /`scope\.project` must be a string/)
  assert.throws(() => p.authorize('alice', 'deploy', ['production']), /unknown option `0`/)
  assert.throws(() => p.authorize('alice', 'deploy', 'production'), /argument `scope` must be Scope/)
  assert.throws(() => p.authorize('alice', 'deploy', { environment: 'prodution' }), (e) =>
    e instanceof lockkeeper.InvalidRequestError && e.code === 'rbac/unknown-environment')
  assert.throws(() => p.authorize(Symbol('alice'), 'deploy'), /argument `principal` must be a string/)
})
