// The audit log from Node: appending decisions, verifying offline, checkpoints, a torn tail,
// typed errors, and a log shared with the CLI's format.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createHash } from 'node:crypto'

const require = createRequire(import.meta.url)
const { AuditLog, AuditCheckpoint, Policy, SigningKey } = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))
const examplePolicy = join(here, '..', '..', 'examples', 'wikimedia', 'policy.yaml')

function decisions () {
  const policy = Policy.fromFile(examplePolicy)
  const scope = { project: 'mediawiki/core', environment: 'production' }
  return ['alice', 'dave', 'alice'].map((who) => policy.authorize(who, 'deploy', scope))
}

function tempLog () {
  return join(mkdtempSync(join(tmpdir(), 'lk-audit-')), 'audit.jsonl')
}

test('decisions are appended, verified and checkpointed', () => {
  const key = SigningKey.generate()
  const path = tempLog()
  const log = new AuditLog(path)
  assert.equal(log.path, path)
  const entries = decisions().map((d) => log.append(d.toJSON(), key))
  assert.deepEqual(entries.map((e) => e.seq), [1, 2, 3])
  assert.equal(entries[0].prev, 'sha256:' + '0'.repeat(64))
  assert.deepEqual(entries.slice(1).map((e) => e.prev), entries.slice(0, -1).map((e) => e.hash))
  assert.equal(entries[1].record.allowed, false)
  assert.equal(entries[1].record.violations[0].code, 'rbac/missing-permission')

  assert.equal(log.verify(key.publicKey).allowed, true)
  const checkpoint = log.checkpoint(key)
  assert.equal(checkpoint.count, 3)
  assert.equal(checkpoint.head, entries[2].hash)
  assert.equal(JSON.parse(JSON.stringify(checkpoint)).count, 3)
  const again = AuditCheckpoint.fromJson(checkpoint.toJson())
  assert.deepEqual(log.append('{"note": "free text", "n": 0.1}', key).record, { note: 'free text', n: 0.1 })
  assert.equal(log.verify(key.publicKey, again).allowed, true)

  const lines = readFileSync(path, 'utf8').split('\n')
  const cut = tempLog()
  writeFileSync(cut, lines.slice(0, 2).map((l) => l + '\n').join(''))
  assert.deepEqual(new AuditLog(cut).verify(key.publicKey, again).codes, ['audit/truncated'])
})

test('an edited decision is reported with its line; no checkpoint is made of it', () => {
  const key = SigningKey.generate()
  const path = tempLog()
  const log = new AuditLog(path)
  for (const d of decisions()) log.append(d.toJSON(), key)
  writeFileSync(path, readFileSync(path, 'utf8').replace('"allowed":false', '"allowed":true'))
  const d = log.verify(key.publicKey)
  assert.equal(d.allowed, false)
  assert.deepEqual([...d.codes].sort(), ['audit/bad-signature', 'audit/broken-chain'])
  assert.deepEqual([...new Set(d.violations.map((v) => v.facts.line))], [2])
  assert.throws(() => log.checkpoint(key),
    (e) => e instanceof Error && e.name === 'AuditLogError' && e.code === 'audit/broken-chain' && e.line === 2)
})

test('a torn tail is reported and the append refused, leaving the file as it was', () => {
  const key = SigningKey.generate()
  const path = tempLog()
  const log = new AuditLog(path)
  log.append({ n: 1 }, key)
  appendFileSync(path, '{"hash":"sha256:ab')
  const before = readFileSync(path)
  assert.throws(() => log.append({ n: 2 }, key),
    (e) => e.name === 'AuditLogError' && e.code === 'audit/torn-entry' && e.line === 2)
  assert.ok(readFileSync(path).equals(before))
  const d = log.verify(key.publicKey)
  assert.deepEqual(d.codes, ['audit/torn-entry'])
  assert.deepEqual(d.violations[0].facts, { line: 2, bytes: 18 })
})

test('another key and bad records are refused with codes', () => {
  const key = SigningKey.generate()
  const other = SigningKey.generate()
  const log = new AuditLog(tempLog())
  log.append({}, key)
  assert.throws(() => log.append({}, other), (e) => e.name === 'AuditLogError' && e.code === 'audit/bad-signature')
  assert.deepEqual(log.verify(other.publicKey).codes, ['audit/bad-signature'])
  for (const bad of ['[]', '{"a": 1, "a": 2}', [1, 2]]) {
    assert.throws(() => log.append(bad, key),
      (e) => e.name === 'InvalidRequestError' && e.code === 'input/malformed-audit-record')
  }
  assert.throws(() => AuditCheckpoint.fromJson('{}'), (e) => e.code === 'input/malformed-checkpoint')
  assert.throws(() => new AuditLog(join(tmpdir(), 'lk-no-such-dir', 'x.jsonl')).verify(key.publicKey),
    (e) => /^cannot read/.test(e.message))
})

test('the signed body is the line without hash and sig, and hashes to the recorded hash', () => {
  const key = SigningKey.generate()
  const path = tempLog()
  const entry = new AuditLog(path).append({ allowed: true, who: 'é' }, key)
  const line = readFileSync(path, 'utf8').trimEnd()
  const body = '{' + line.slice(line.indexOf(',"prev"') + 1, line.lastIndexOf(',"sig"')) + '}'
  assert.deepEqual(JSON.parse(body), { prev: entry.prev, record: entry.record, seq: 1 })
  assert.equal('sha256:' + createHash('sha256').update(body, 'utf8').digest('hex'), entry.hash)
})
