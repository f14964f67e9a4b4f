import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import yaml from 'js-yaml'

const require = createRequire(import.meta.url)
const { Pipeline, Policy, checkPipeline, assertPipelineSafe } = require('../index.js')
const here = dirname(fileURLToPath(import.meta.url))
const examples = join(here, '..', '..', 'examples', 'pipelines')
const expected = yaml.load(readFileSync(join(examples, 'expected.yaml'), 'utf8'))
const sitePolicy = join(examples, 'policy.yaml')

for (const entry of expected) {
  // One `file`, or several `files` checked as one set.
  const names = entry.files ?? [entry.file]
  test(`example ${names.join(' + ')} gives the expected codes`, () => {
    const pipeline = Pipeline.fromFiles(names.map((n) => join(examples, n)))
    const site = Policy.fromFile(sitePolicy)
    const uniq = (codes) => [...new Set(codes)].sort()
    assert.deepEqual(uniq(site.checkPipeline(pipeline).codes), entry.with_policy)
    assert.deepEqual(uniq(checkPipeline(pipeline, null, 'auditor').codes), entry.builtin)
  })
}

test('assertPipelineSafe passes on clean pipelines, with any kind of policy', () => {
  assertPipelineSafe(sitePolicy, join(examples, 'native', 'clean.yaml'))
  assertPipelineSafe(null, join(examples, 'github', 'release.yml'))
  assertPipelineSafe(Policy.fromFile(sitePolicy), [join(examples, 'zuul', 'zuul.yaml'), join(examples, 'argo', 'clean.yaml')])
})

test('assertPipelineSafe throws an AssertionError listing every violation', () => {
  const path = join(examples, 'native', 'violations.yaml')
  // The helper counts what the default (regular) persona is shown; design lints are pedantic.
  const decision = checkPipeline(Pipeline.fromFile(path), Policy.fromFile(sitePolicy))
  assert.throws(() => assertPipelineSafe(sitePolicy, path, null, 'pedantic'), /11 violations/)
  assert.throws(() => assertPipelineSafe(sitePolicy, path), (e) => {
    assert.ok(e instanceof Error)
    assert.equal(e.name, 'AssertionError')
    assert.equal(e.code, 'ERR_ASSERTION')
    assert.equal(e.violations.length, decision.violations.length)
    assert.match(e.message, new RegExp(`${decision.violations.length} violations`))
    for (const v of decision.violations) assert.ok(e.message.includes(`${v.severity}[${v.code}]`))
    assert.ok(e.message.includes(`${path}:5: error[pipeline/untrusted-code-in-trusted-zone] job \`lint\``))
    return true
  })
})

test('toSarif() gives a SARIF 2.1.0 log with each violation located', () => {
  const path = join(examples, 'native', 'violations.yaml')
  const decision = Policy.fromFile(sitePolicy).checkPipeline(Pipeline.fromFile(path))
  const log = JSON.parse(decision.toSarif())
  assert.equal(log.version, '2.1.0')
  const [run] = log.runs
  assert.ok(run.tool.driver.rules.some((r) => r.id === 'pipeline/build-publishes' && r.defaultConfiguration.level === 'warning'))
  assert.equal(run.results.length, decision.violations.length)
  for (const [i, r] of run.results.entries()) {
    assert.equal(r.ruleId, decision.violations[i].code)
    assert.equal(r.level, decision.violations[i].severity)
    assert.equal(r.locations[0].physicalLocation.artifactLocation.uri, path)
  }
  assert.match(decision.summary(), /^DENY pipeline /)
})

test('a pull_request_target checkout is tainted input with its path', () => {
  const pipeline = Pipeline.fromFile(join(examples, 'github', 'pr-target.yml'))
  const preview = pipeline.jobs.find((j) => j.name === 'preview')
  assert.deepEqual(preview.contexts, ['github/pull_request_target'])
  assert.ok(preview.secrets.includes('NETLIFY_TOKEN'))
  const d = checkPipeline(pipeline)
  assert.equal(d.violations.length, 1)
  const [v] = d.violations
  assert.equal(v.code, 'pipeline/tainted-input')
  assert.deepEqual(v.facts.path.map((s) => s.job), ['pull request (untrusted)', 'preview'])
  assert.equal(JSON.parse(JSON.stringify(pipeline)).jobs.length, pipeline.length)
})

test('formats from text, detection and bad format names', () => {
  const gitlab = 'test:\n  script: [make test]\n'
  assert.equal(Pipeline.fromYaml(gitlab, 'gitlab').length, 3)
  const auto = Pipeline.fromYaml(gitlab, 'auto', '.gitlab-ci.yml')
  assert.deepEqual(auto.jobs.map((j) => j.name), ['test [branch]', 'test [default_branch]', 'test [tag]'])
  assert.throws(() => Pipeline.fromYaml(gitlab, 'jenkins'), /unknown pipeline format/)
})

test('pipeline errors are Errors with code, file, line, column and problems', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockkeeper-'))
  const path = join(dir, 'pipeline.yaml')
  writeFileSync(path, 'jobs:\n  build: {trigger: merged, needs: [biuld]}\n')
  assert.throws(() => Pipeline.fromFile(path), (e) => {
    assert.equal(e.name, 'PipelineError')
    assert.equal(e.code, 'pipeline/undefined-reference')
    assert.equal(e.file, path)
    assert.equal(e.path, 'jobs.build.needs[0]')
    assert.deepEqual([e.line, e.column], [2, 36])
    assert.equal(e.problems[0].file, path)
    assert.ok(e.message.includes(`${path}:2:36`))
    return true
  })
  assert.throws(() => Pipeline.fromFile(join(dir, 'missing.yml')), /cannot read/)
})

test('unsupported constructs are listed with lines and deny', () => {
  const p = Pipeline.fromFile(join(examples, 'gitlab', 'unsupported.gitlab-ci.yml'))
  assert.deepEqual(p.unsupported.map((u) => u.line), [4, 15])
  assert.deepEqual(checkPipeline(p).codes, ['import/unsupported', 'import/unsupported', 'import/incomplete'])
  const accepted = checkPipeline(p, null, 'regular', true)
  assert.equal(accepted.allowed, true)
  assert.ok(accepted.subject.includes('incomplete, accepted'))
  assert.throws(() => assertPipelineSafe(null, join(examples, 'gitlab', 'unsupported.gitlab-ci.yml')), /import\/incomplete/)
  assertPipelineSafe(null, join(examples, 'gitlab', 'unsupported.gitlab-ci.yml'), null, 'regular', true)
  assert.deepEqual([...Policy.builtin().zones].sort(), ['approved', 'deploy', 'trusted', 'untrusted'])
})

test('persona filters the findings shown', () => {
  const forkPr = 'on: pull_request\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n        env: {T: "${{ secrets.TOKEN }}"}\n'
  const p = Pipeline.fromYaml(forkPr, 'github', 'ci.yml')
  // A fork's pull request gets no secrets: a same-repository concern is pedantic.
  assert.equal(checkPipeline(p).allowed, true)
  assert.deepEqual(checkPipeline(p, null, 'pedantic').codes, ['pipeline/secret-not-allowed'])
  assert.throws(() => checkPipeline(p, null, 'loud'), /unknown persona/)
  const dir = mkdtempSync(join(tmpdir(), 'lk-persona-'))
  const path = join(dir, 'ci.yml')
  writeFileSync(path, forkPr)
  assertPipelineSafe(null, path, 'github')
  assert.throws(() => assertPipelineSafe(null, path, 'github', 'auditor'), /secret-not-allowed/)
})

test('includeDir serves GitLab includes from elsewhere', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-include-'))
  const ci = join(dir, '.gitlab-ci.yml')
  writeFileSync(ci, 'include:\n  - project: group/ci\n    file: /publish.yml\n')
  const alone = Pipeline.fromFiles([ci], 'gitlab')
  assert.ok(checkPipeline(alone).codes.includes('import/incomplete'))
  const shared = join(dir, 'includes', 'group', 'ci')
  mkdirSync(shared, { recursive: true })
  writeFileSync(join(shared, 'publish.yml'), 'publish:\n  rules: [{if: $CI_COMMIT_TAG}]\n  script: [npm publish]\n')
  const both = Pipeline.fromFiles([ci], 'gitlab', join(dir, 'includes'))
  assert.ok(both.files.some((f) => f.endsWith('group/ci/publish.yml')))
  const decision = checkPipeline(both, null, 'auditor')
  assert.ok(!decision.codes.includes('import/incomplete'))
  assert.ok(decision.codes.includes('pipeline/build-publishes'))
})
