// Images through the Node binding: layouts, manifest pairs, typed rebuild plans, errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdtempSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Policy, rebuildPlan } = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const images = join(root, 'core', 'tests', 'cases', 'images')
const examplePolicy = join(root, 'examples', 'images', 'policy.yaml')
const exampleInventory = join(root, 'examples', 'images', 'inventory.json')
const digestOf = (layout) => JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests[0].digest

test('the example policy checks layouts, one decision each', () => {
  const policy = Policy.fromFile(examplePolicy)
  const ds = policy.checkImages([join(images, 'app-on-app'), join(images, 'app'), join(images, 'app-secret')])
  assert.deepEqual(ds.map((d) => d.allowed), [true, true, false])
  const [v] = ds[2].violations
  assert.equal(v.code, 'image/secret-in-env')
  assert.equal(v.facts.variable, 'DB_PASSWORD')
  assert.ok(!ds[2].toJson().includes('hunter2'))
  assert.deepEqual(policy.checkImage(join(images, 'app-as-root')).codes, ['image/runs-as-root'])
})

test('a tampered copy of a layout is caught', () => {
  const policy = Policy.fromFile(examplePolicy)
  const copy = join(mkdtempSync(join(tmpdir(), 'lockkeeper-img-')), 'app')
  cpSync(join(images, 'app'), copy, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(copy, 'blobs', 'sha256', digestOf(copy).slice(7)), 'utf8'))
  const configPath = join(copy, 'blobs', 'sha256', manifest.config.digest.slice(7))
  assert.equal(policy.checkImage(copy).allowed, true)
  writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('"User":"1000"', '"User":"0000"'))
  assert.deepEqual(policy.checkImage(copy).codes, ['image/blob-digest-mismatch'])
  assert.throws(() => rebuildPlan(['sha256:' + '1'.repeat(64)], { layouts: [copy] }),
    (e) => e instanceof Error && e.name === 'ImageError' && e.code === 'image/blob-digest-mismatch')
})

test('manifest pairs', () => {
  const policy = Policy.fromFile(examplePolicy)
  const pair = join(images, 'pair')
  assert.equal(policy.checkImageManifest(join(pair, 'manifest.json'), join(pair, 'config.json')).allowed, true)
  assert.deepEqual(policy.checkImageManifest(join(pair, 'manifest.json'), join(pair, 'config-as-root.json')).codes,
    ['image/blob-digest-mismatch'])
})

test('a rebuild plan from layouts is typed data', () => {
  const rootDigest = digestOf(join(images, 'root'))
  const plan = rebuildPlan([rootDigest], {
    layouts: ['root', 'app', 'app-on-app', 'multi-platform'].map((d) => join(images, d))
  })
  assert.deepEqual(plan.waves.map((w) => w.length), [1, 3, 1])
  assert.equal(plan.waves[0][0].digest, rootDigest)
  assert.equal(plan.waves[0][0].wave, 0)
  const last = plan.waves[2][0]
  assert.equal(last.wave, 2)
  assert.equal(last.path[0].digest, rootDigest)
  assert.equal(plan.affected, 5)
  assert.deepEqual([plan.blocked, plan.cycles, plan.unmatched], [[], [], []])
  assert.match(plan.text, /^rebuild plan for sha256:[0-9a-f]{64}: 5 image\(s\) in 3 wave\(s\)/)
})

test('a rebuild plan from the example inventory', () => {
  const plan = rebuildPlan(['sha256:' + 'a'.repeat(64)], { inventory: exampleInventory })
  assert.deepEqual(plan.waves.map((w) => w.length), [1, 3, 3, 1])
  assert.equal(plan.waves[0][0].path[0].name, undefined)
  assert.deepEqual(plan.missingBases.map((m) => m.baseDigest).sort(), ['sha256:' + 'a'.repeat(64), 'sha256:' + 'b'.repeat(64)])
})

test('errors carry codes', () => {
  assert.throws(() => rebuildPlan(['debian:12'], { inventory: exampleInventory }),
    (e) => e instanceof Error && e.code === 'image/invalid-digest' && e.name === 'InvalidRequestError')
  assert.throws(() => rebuildPlan(['sha256:' + '1'.repeat(64)], {}), /either layouts or inventory/)
  assert.throws(() => rebuildPlan(['sha256:' + '1'.repeat(64)], { inventory: join(root, 'nope.json') }), /cannot read/)
  const policy = Policy.fromFile(examplePolicy)
  assert.throws(() => policy.checkImage(join(root, 'no-such-layout')), /cannot read/)
  const dir = mkdtempSync(join(tmpdir(), 'lockkeeper-inv-'))
  const inv = join(dir, 'inv.json')
  writeFileSync(inv, '[{"name": "a", "digest": "sha256:12"}]')
  assert.throws(() => rebuildPlan(['sha256:' + '1'.repeat(64)], { inventory: inv }), (e) => {
    assert.equal(e.name, 'InventoryError')
    assert.equal(e.code, 'image/invalid-inventory')
    assert.deepEqual([e.line, e.column, e.path], [1, 26, '[0].digest'])
    assert.ok(e.message.includes(inv))
    return true
  })
})
