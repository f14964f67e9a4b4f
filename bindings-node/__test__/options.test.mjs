// Options objects are read strictly: napi's conversion drops keys it does not know, so a
// snake_case or misspelt option would silently skip the check it asks for. Each function that
// takes one refuses unknown keys, and every key `index.d.ts` declares is accepted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Policy, Statement, rebuildPlan, TrustedRoot, verifyBundle } = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))
const policy = Policy.fromFile(join(here, '..', '..', 'examples', 'wikimedia', 'policy.yaml'))
const inventory = join(here, '..', '..', 'examples', 'images', 'inventory.json')
const digest = 'sha256:' + 'a'.repeat(64)
const at = '2026-11-24T12:00:00Z'

/** The fields of an interface in the committed index.d.ts. */
function fields (name) {
  const dts = readFileSync(join(here, '..', 'index.d.ts'), 'utf8')
  const body = dts.match(new RegExp(`export interface ${name} \\{([^}]*)\\}`))
  assert.ok(body, `interface ${name} in index.d.ts`)
  return [...body[1].matchAll(/^\s+(\w+)\??:/gm)].map((m) => m[1])
}

const unknownOption = (key) => (e) => {
  assert.equal(e.code, 'InvalidArg')
  assert.match(e.message, new RegExp(`unknown option \`${key}\``))
  return true
}

// One call per options object: `valid` has every declared field that the call can take at once.
const calls = {
  Scope: {
    run: (o) => policy.authorize('alice', 'deploy', o),
    valid: { project: 'mediawiki/core', ref: 'refs/heads/master', environment: 'production' }
  },
  ApprovalOptions: {
    run: (o) => policy.checkApprovals(['bob'], o),
    valid: { required: 1, author: 'alice', role: 'reviewer', project: 'p', ref: 'r', environment: 'production' }
  },
  ProvenanceOptions: {
    run: (o) => Statement.provenance('https://ci.example/builder', [['app', digest]], o),
    valid: { source: 'git+https://example.org/app', ref: 'refs/heads/main', commit: 'c'.repeat(40), buildType: 'https://example.org/build/v1' }
  },
  BundleOptions: {
    run: (o) => verifyBundle('{}', TrustedRoot.builtin('public-good'), o),
    valid: { artifact: Buffer.from('x'), identity: { issuer: 'https://example.org', subject: 's' } }
  },
  RebuildOptions: {
    run: (o) => rebuildPlan([digest], o),
    valid: { inventory }
  },
  GateRequest: {
    run: (o) => policy.promote(o),
    valid: {
      artifact: digest, to: 'staging', by: 'alice', evidence: [], approvals: [{ principal: 'bob', at }],
      author: 'carol', version: '1.2.3', lastVersion: '1.2.2', at, project: 'p', ref: 'r',
      rollback: false, emergency: false, images: []
    }
  }
}

for (const [name, { run, valid }] of Object.entries(calls)) {
  test(`${name}: every declared key is known, an unknown one is refused`, () => {
    // Keys the declaration has but `valid` lacks (RebuildOptions takes layouts or inventory).
    const declared = fields(name)
    for (const key of declared) {
      const probe = { ...valid, [key]: valid[key] ?? [] }
      try {
        run(probe)
      } catch (e) {
        assert.doesNotMatch(String(e.message), /unknown option/, `${name}.${key}`)
      }
    }
    assert.throws(() => run({ ...valid, last_version: '1.0.0' }), unknownOption('last_version'))
  })
}

test('each approval of a gate request is read strictly too', () => {
  const request = { ...calls.GateRequest.valid, approvals: [{ principal: 'bob', when: at }] }
  assert.throws(() => policy.deployRequest(request), unknownOption('when'))
})

test('the error names every unknown key and lists the known ones', () => {
  assert.throws(() => policy.authorize('alice', 'deploy', { projet: 'p', envirnoment: 'x' }), (e) => {
    assert.match(e.message, /`projet`, `envirnoment`/)
    assert.match(e.message, /known: project, ref, environment/)
    return true
  })
})

test('a scope is read from the keys it lists: inherited ones are checked and read too', () => {
  // An enumerable key on the prototype is a key of the object for `for...in`, as napi lists
  // keys: it is refused when unknown and read when known, never skipped.
  const unknown = Object.create({ envirnoment: 'production' })
  unknown.project = 'mediawiki/core'
  assert.throws(() => policy.authorize('alice', 'deploy', unknown), unknownOption('envirnoment'))
  const known = Object.create({ environment: 'prodution' })
  assert.throws(() => policy.authorize('alice', 'deploy', known), { code: 'rbac/unknown-environment' })
  assert.equal(policy.authorize('alice', 'deploy', { project: undefined, ref: null }).subject, 'alice: deploy (any scope)')
})
