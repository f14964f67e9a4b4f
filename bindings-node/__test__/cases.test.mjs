// The shared scenario files of core/tests/cases, run through the Node binding; the Rust and
// Python suites run the same files.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import yaml from 'js-yaml'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Policy, Pipeline, checkPipeline } = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))
const casesDir = join(here, '..', '..', 'core', 'tests', 'cases')

const files = readdirSync(casesDir).filter((f) => f.endsWith('.yaml')).sort()
let count = 0

for (const file of files) {
  const doc = yaml.load(readFileSync(join(casesDir, file), 'utf8'))
  for (const c of doc.cases) {
    count++
    test(`${file}: ${c.name}`, () => {
      const expect = c.expect
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
      if ('pipeline_yaml' in c) {
        runPipelineCase(doc, c)
        return
      }
      const policy = Policy.fromFile(join(casesDir, doc.policy))
      let call
      if (c.authorize) {
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
  const d = checkPipeline(pipeline, policy)
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
