// The shared scenario files of core/tests/cases, run through the Node binding; the Rust and
// Python suites run the same files.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Policy, PublicKey, Envelope, Statement, rebuildPlan, AuditLog, AuditCheckpoint, SigningKey, Pipeline, checkPipeline, TrustedRoot, verifyBundle } = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))

// Whether `got` holds everything `want` says (object keys, a null one absent; list items each
// somewhere in the list; equal scalars): how `verified` expectations are written.
function contains (want, got) {
  if (Array.isArray(want)) return Array.isArray(got) && want.every((w) => got.some((g) => contains(w, g)))
  if (want !== null && typeof want === 'object') {
    return got !== null && typeof got === 'object' &&
      Object.entries(want).every(([k, v]) => (v === null ? got[k] == null : k in got && contains(v, got[k])))
  }
  return want === got
}

// The getters name fields in camelCase (`usedAs`), as every object of the addon does; the
// JSON form keeps the core's snake_case. Claim names are data, not fields: kept as written.
function camelKeys (v, key) {
  if (Array.isArray(v)) return v.map((x) => camelKeys(x))
  if (v === null || typeof v !== 'object' || key === 'claims') return v
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase()), camelKeys(x, k)]))
}
const casesDir = join(here, '..', '..', 'core', 'tests', 'cases')

const files = readdirSync(casesDir).filter((f) => f.endsWith('.yaml')).sort()
let count = 0
const anyDigest = 'sha256:' + '0'.repeat(64)

function inventoryPath (holder) {
  for (const key of ['inventory', 'inventory_file']) {
    if (holder[key]) return join(casesDir, holder[key])
  }
  const path = join(mkdtempSync(join(tmpdir(), 'lockkeeper-inv-')), 'inventory.json')
  writeFileSync(path, holder.inventory_json)
  return path
}

function checkPlan (expect, plan) {
  assert.deepEqual(plan.waves.map((w) => w.map((i) => i.name)), expect.waves ?? [])
  assert.deepEqual(plan.blocked.map((i) => i.name), expect.blocked ?? [])
  assert.deepEqual(plan.unmatched, expect.unmatched ?? [])
  if (expect.cycles) assert.deepEqual(plan.cycles, expect.cycles)
  if (expect.path_of_last) {
    const lastWave = plan.waves[plan.waves.length - 1]
    assert.deepEqual(lastWave[lastWave.length - 1].path.map((s) => s.digest), expect.path_of_last)
  }
}

for (const file of files) {
  const doc = yaml.load(readFileSync(join(casesDir, file), 'utf8'))
  for (const c of doc.cases) {
    count++
    test(`${file}: ${c.name}`, () => {
      const expect = c.expect
      if (c.inventory_json || c.inventory_file) {
        const path = inventoryPath(c)
        if (expect.problems.length === 0) {
          rebuildPlan([anyDigest], { inventory: path })
          return
        }
        let err
        assert.throws(() => rebuildPlan([anyDigest], { inventory: path }), (e) => { err = e; return true })
        assert.equal(err.name, 'InventoryError')
        assert.deepEqual(err.problems.map((p) => p.code).sort(), [...expect.problems].sort())
        if (expect.at) assert.deepEqual(err.problems.map((p) => `${p.line}:${p.column}`), expect.at)
        if (expect.message_contains) assert.ok(err.problems.some((p) => p.message.includes(expect.message_contains)))
        return
      }
      if (c.rebuild) {
        const path = inventoryPath(c.rebuild)
        const call = () => rebuildPlan(c.rebuild.vulnerable, { inventory: path })
        if (expect.error) {
          assert.throws(call, (e) => e instanceof Error && e.code === expect.error)
          return
        }
        checkPlan(expect, call())
        return
      }
      for (const [key, load] of [['policy_yaml', (t) => Policy.fromYaml(t)], ['policy_json', (t) => Policy.fromJson(t)]]) {
        if (key in c) {
          if (expect.problems.length === 0) {
            load(c[key])
            return
          }
          let err
          assert.throws(() => load(c[key]), (e) => { err = e; return true })
          assert.ok(err instanceof Error)
          assert.equal(err.name, 'PolicyError')
          assert.deepEqual(err.problems.map((p) => p.code).sort(), [...expect.problems].sort())
          assert.equal(err.code, err.problems[0].code)
          if (expect.at) {
            assert.deepEqual(err.problems.map((p) => `${p.line}:${p.column}`), expect.at)
            assert.equal(err.line, err.problems[0].line)
          }
          if (expect.message_contains) {
            assert.ok(err.problems.some((p) => p.message.includes(expect.message_contains)))
          }
          return
        }
      }
      if (c.bundle_verify) {
        const req = c.bundle_verify
        if (expect.error) {
          assert.throws(() => TrustedRoot.fromFile(join(casesDir, req.trusted_root)),
            (e) => e.code === expect.error && e.name === 'InvalidRequestError')
          return
        }
        const options = {}
        if (req.digest) options.digest = req.digest
        else options.artifact = readFileSync(join(casesDir, req.artifact))
        if (req.identity) options.identity = req.identity
        else options.keys = req.keys.map((k) => readFileSync(join(casesDir, k), 'utf8'))
        const result = verifyBundle(readFileSync(join(casesDir, req.bundle)), TrustedRoot.fromFile(join(casesDir, req.trusted_root)), options)
        assert.equal(result.allowed, expect.allowed, result.toString())
        assert.deepEqual([...result.decision.codes].sort(), [...expect.codes].sort())
        assert.equal(JSON.parse(JSON.stringify(result)).allowed, result.allowed)
        return
      }
      if (c.envelope_verify) {
        const req = c.envelope_verify
        const keys = req.keys.map((k) => PublicKey.parse(readFileSync(join(casesDir, k), 'utf8')))
        const envelope = Envelope.fromJson(readFileSync(join(casesDir, req.envelope)))
        if (expect.error) {
          assert.throws(() => envelope.verify(keys, req.threshold ?? 1),
            (e) => e.code === expect.error && e.name === 'VerificationError' && Array.isArray(e.keyids))
        } else {
          assert.ok(envelope.verify(keys, req.threshold ?? 1).length >= 1)
        }
        return
      }
      if (c.parse) {
        const [[kind, value]] = Object.entries(c.parse)
        const parsers = {
          key: (v) => PublicKey.parse(v),
          key_file: (v) => PublicKey.parse(readFileSync(join(casesDir, v), 'utf8')),
          digest: (v) => Statement.provenance('b', [['x', v]]),
          envelope: (v) => Envelope.fromJson(readFileSync(join(casesDir, v))),
          statement: (v) => Statement.fromJson(readFileSync(join(casesDir, v))),
        }
        if (expect.error) {
          assert.throws(() => parsers[kind](value), (e) => e.code === expect.error)
        } else {
          parsers[kind](value)
        }
        return
      }
      if (c.audit_verify) {
        const req = c.audit_verify
        const pub = PublicKey.parse(readFileSync(join(casesDir, req.pub), 'utf8'))
        let checkpoint
        if (req.checkpoint) {
          const data = readFileSync(join(casesDir, req.checkpoint))
          if (expect.error) {
            assert.throws(() => AuditCheckpoint.fromJson(data),
              (e) => e.code === expect.error && e.name === 'InvalidRequestError')
            return
          }
          checkpoint = AuditCheckpoint.fromJson(data)
        }
        const d = new AuditLog(join(casesDir, req.log)).verify(pub, checkpoint)
        assert.equal(d.allowed, expect.allowed, d.toString())
        assert.deepEqual([...d.codes].sort(), [...expect.codes].sort())
        assert.ok(d.violations.every((v) => v.facts.line === undefined || Number.isInteger(v.facts.line)))
        return
      }
      if (c.audit_append) {
        const req = c.audit_append
        const key = SigningKey.fromPem(readFileSync(join(casesDir, req.key), 'utf8'))
        const dir = mkdtempSync(join(tmpdir(), 'lk-audit-'))
        const path = join(dir, 'audit.jsonl')
        const original = readFileSync(join(casesDir, req.log))
        writeFileSync(path, original)
        const log = new AuditLog(path)
        try {
          if (expect.error) {
            assert.throws(() => log.append(req.record, key), (e) => e instanceof Error && e.code === expect.error)
            assert.ok(readFileSync(path).equals(original), 'a refused append changed the log')
            return
          }
          const entry = log.append(req.record, key)
          assert.equal(entry.seq, original.toString().split('\n').length)
          const d = log.verify(key.publicKey)
          assert.equal(d.allowed, expect.allowed, d.toString())
          assert.deepEqual([...d.codes].sort(), [...expect.codes].sort())
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
        return
      }
      if ('pipeline_yaml' in c) {
        runPipelineCase(doc, c)
        return
      }
      const policy = Policy.fromFile(join(casesDir, doc.policy))
      let call
      if (c.gate) {
        const { action, principal, environment, now, evidence, ...rest } = c.gate
        const camel = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), v]))
        const request = { ...camel, by: principal, to: environment, at: now, evidence: evidence.map((e) => readFileSync(join(casesDir, e))), images: (rest.images ?? []).map((d) => join(casesDir, d)) }
        const run = () => action === 'deploy' ? policy.deployRequest(request) : policy.promote(request)
        if (expect.error) {
          assert.throws(run, (e) => e.code === expect.error)
          return
        }
        const outcome = run()
        assert.equal(outcome.allowed, expect.allowed, String(outcome))
        assert.deepEqual([...outcome.decision.codes].sort(), [...expect.codes].sort())
        assert.equal(outcome.promotionRecord != null, outcome.allowed)
        if (expect.released_secrets) {
          assert.deepEqual(outcome.releasedSecrets.map((s) => s.name), expect.released_secrets)
        }
        if ('record_emergency' in expect) {
          // A VSA has no emergency field: the flag is in the subject's lockkeeper annotation.
          const subject = JSON.parse(outcome.promotionRecord.toJson()).subject[0]
          assert.equal(subject.annotations['lockkeeper.dev/promotion'].emergency, expect.record_emergency)
        }
        assert.equal(JSON.parse(JSON.stringify(outcome)).allowed, outcome.allowed)
        if (expect.verified) {
          assert.ok(contains(camelKeys(expect.verified), outcome.decision.verified), JSON.stringify(outcome.decision.verified))
          assert.ok(contains(expect.verified, JSON.parse(JSON.stringify(outcome)).verified))
        }
        return
      }
      if (c.provenance) {
        const { envelope, artifact, environment, trusted_root: root } = c.provenance
        const bytes = readFileSync(join(casesDir, envelope))
        const p = root ? policy.withTrustedRoot(TrustedRoot.fromFile(join(casesDir, root))) : policy
        call = () => p.verifyProvenance(bytes, artifact, environment)
      } else if (c.image_layouts) {
        call = () => policy.checkImages(c.image_layouts.map((d) => join(casesDir, d)))[0]
      } else if (c.image_manifest) {
        call = () => policy.checkImageManifest(join(casesDir, c.image_manifest.manifest), join(casesDir, c.image_manifest.config))
      } else if (c.authorize) {
        const { principal, action, ...scope } = c.authorize
        call = () => policy.authorize(principal, action, scope)
      } else {
        const { approvals, ...options } = c.approvals
        call = () => policy.checkApprovals(approvals, options)
      }
      if (expect.error) {
        assert.throws(call, (e) => e instanceof Error && e.code === expect.error && e.name === 'InvalidRequestError')
        return
      }
      const d = call()
      assert.equal(d.allowed, expect.allowed, d.toString())
      assert.deepEqual([...d.codes].sort(), [...expect.codes].sort())
      assert.equal(JSON.parse(JSON.stringify(d)).allowed, d.allowed)
      if (expect.verified) {
        assert.ok(contains(camelKeys(expect.verified), d.verified), JSON.stringify(d.verified))
        assert.ok(contains(expect.verified, JSON.parse(JSON.stringify(d)).verified))
      }
    })
  }
}

// Imports `pipeline_yaml` as `format` (default native) and checks it against the file's policy,
// or the built-in one.
function runPipelineCase (doc, c) {
  const expect = c.expect
  const load = () => Pipeline.fromYaml(c.pipeline_yaml, c.format ?? 'native', c.file ?? 'pipeline.yaml')
  if (expect.problems) {
    if (expect.problems.length === 0) {
      load()
      return
    }
    let err
    assert.throws(load, (e) => { err = e; return true })
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'PipelineError')
    assert.deepEqual(err.problems.map((p) => p.code).sort(), [...expect.problems].sort())
    assert.equal(err.code, err.problems[0].code)
    if (expect.at) assert.deepEqual(err.problems.map((p) => `${p.line}:${p.column}`), expect.at)
    if (expect.message_contains) assert.ok(err.problems.some((p) => p.message.includes(expect.message_contains)))
    return
  }
  const pipeline = load()
  const policy = doc.policy ? Policy.fromFile(join(casesDir, doc.policy)) : null
  const d = checkPipeline(pipeline, policy, c.persona ?? 'auditor', c.allow_incomplete ?? false)
  assert.equal(d.allowed, expect.allowed, d.toString())
  assert.deepEqual([...d.codes].sort(), [...expect.codes].sort())
  if (expect.message_contains) assert.ok(d.violations.some((v) => v.message.includes(expect.message_contains)))
  if (expect.path) {
    const steps = d.violations[d.violations.length - 1].facts.path
    assert.deepEqual(steps.map((s) => (typeof s === 'string' ? s : s.job)), expect.path)
  }
}

test('the suite is not empty', () => {
  assert.ok(count > 20, `only ${count} cases`)
})
