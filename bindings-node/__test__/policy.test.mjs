import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const lockkeeper = require('../index.js')
const { Policy } = lockkeeper
const here = dirname(fileURLToPath(import.meta.url))
const example = join(here, '..', '..', 'examples', 'wikimedia', 'policy.yaml')

test('loads the example policy', () => {
  const p = Policy.fromFile(example)
  assert.deepEqual([...p.zones].sort(), ['approved', 'deploy', 'trusted', 'untrusted'])
  assert.deepEqual(p.environments, ['production', 'staging', 'testing'])
})

test('a denial explains itself in text and JSON', () => {
  const p = Policy.fromFile(example)
  const d = p.authorize('dave', 'deploy', { project: 'mediawiki/core', environment: 'production' })
  assert.equal(d.allowed, false)
  assert.equal(d.violations.length, 1)
  const [v] = d.violations
  assert.equal(v.code, 'rbac/missing-permission')
  assert.match(v.message, /dave/)
  assert.ok(v.help.length > 0)
  assert.equal(v.facts.principal, 'dave')
  assert.deepEqual(v.facts.scope, { project: 'mediawiki/core', environment: 'production' })
  assert.deepEqual(v.facts.roles_looked_for, ['incident-commander', 'merger-deployer'])
  const machine = JSON.parse(JSON.stringify(d))
  assert.equal(machine.allowed, false)
  assert.equal(machine.violations[0].code, 'rbac/missing-permission')
  assert.deepEqual(JSON.parse(d.toJson()), machine)
  assert.match(String(d), /^DENY dave: deploy/)
})

test('an allow lists the checks that passed', () => {
  const p = Policy.fromFile(example)
  const d = p.authorize('alice', 'merge', { project: 'mediawiki/core', ref: 'refs/heads/master' })
  assert.equal(d.allowed, true)
  assert.deepEqual(d.violations, [])
  assert.deepEqual(d.passed, ['rbac/missing-permission'])
})

test('policy errors are Errors with code, path, line, column and problems', () => {
  const text = 'zones:\n  trusted: {dominates: [untrusted]}\nroles: {dev: {permissions: [fly]}}\n'
  assert.throws(() => Policy.fromYaml(text), (e) => {
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'PolicyError')
    assert.equal(e.code, 'policy/undefined-reference')
    assert.equal(e.path, 'zones.trusted.dominates[0]')
    assert.equal(e.line, 2)
    assert.equal(e.column, 25)
    assert.deepEqual(e.problems.map((p) => p.code), ['policy/undefined-reference', 'policy/invalid-value'])
    assert.match(e.message, /<yaml>:2:25/)
    return true
  })
})

test('a JSON file is read as JSON and errors name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockkeeper-'))
  const path = join(dir, 'p.json')
  writeFileSync(path, '{"zones": {"a": {"dominates": ["b"]}}}')
  assert.throws(() => Policy.fromFile(path), (e) => e.code === 'policy/undefined-reference' && e.message.includes(path))
  assert.throws(() => Policy.fromFile(join(dir, 'missing.yaml')), /cannot read/)
})

test('an unknown action is an InvalidRequestError with its code', () => {
  const p = Policy.fromFile(example)
  assert.throws(() => p.authorize('alice', 'fly'), (e) => e.code === 'rbac/unknown-action')
})

test('rules() lists the catalogue', () => {
  const codes = lockkeeper.rules().map((r) => r.code)
  assert.ok(codes.includes('rbac/self-approval'))
  assert.ok(lockkeeper.rules().every((r) => r.help.length > 0))
  const publishes = lockkeeper.rules().find((r) => r.code === 'pipeline/build-publishes')
  assert.deepEqual([publishes.severity, publishes.persona], ['warning', 'pedantic'])
})

test('a violation carries its severity, confidence and persona as text', () => {
  const p = Policy.fromFile(example)
  const [v] = p.authorize('dave', 'deploy', { project: 'mediawiki/core', environment: 'production' }).violations
  assert.equal(v.code, 'rbac/missing-permission')
  assert.deepEqual([v.severity, v.confidence, v.persona, v.assumptions], ['error', 'high', 'regular', []])
  const machine = p.authorize('dave', 'deploy', { project: 'mediawiki/core' }).toJSON()
  assert.equal(machine.schema_version, 1)
  assert.match(machine.policy_digest, /^sha256:[0-9a-f]{64}$/)
  assert.match(machine.decided_at, /Z$/)
})
