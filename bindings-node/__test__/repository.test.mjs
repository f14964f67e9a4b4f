// checkRepository and assertPipelineSafe on a directory: a repository built in a temporary
// directory from the example repository and the labeled corpus.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Policy, checkRepository, assertPipelineSafe } = require('../lockkeeper.js')
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const example = join(root, 'examples', 'repo')
const corpus = join(root, 'testdata', 'fixtures', 'realworld', 'github')
// The corpus's pwn request (labeled job `quality`) and its fixed twin.
const pwn = join(corpus, 'avelino__awesome-go__.github__workflows__pr-quality-check@470fa15543.yaml')
const fixed = join(corpus, 'avelino__awesome-go__.github__workflows__pr-quality-check@24273bf86b.yaml')

function build(files) {
  const dir = mkdtempSync(join(tmpdir(), 'lockkeeper-node-repo-'))
  for (const [rel, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    copyFileSync(source, join(dir, rel))
  }
  return dir
}

function vulnerable() {
  const files = {}
  for (const rel of ['workflows/pr.yml', 'workflows/build.yml', 'workflows/release.yml', 'actions/setup/action.yml']) {
    files[`.github/${rel}`] = join(example, '.github', rel)
  }
  files['.github/workflows/pr-quality-check.yaml'] = pwn
  return build(files)
}

const places = (decision, dir) =>
  decision.violations.map((v) => [relative(dir, v.facts.file), v.facts.job ?? '', v.code].join(' '))

test('a repository is checked with its local actions and reusable workflows', () => {
  const dir = vulnerable()
  try {
    const decision = checkRepository(dir)
    assert.equal(decision.allowed, false)
    assert.ok(decision.subject.startsWith(`repository ${dir}: github (5 files)`), decision.subject)
    const found = places(decision, dir)
    // The local composite action caches under pull_request_target; the release restores it.
    assert.ok(found.includes('.github/workflows/release.yml publish pipeline/tainted-input'), found.join('\n'))
    // The reusable workflow called with `./` from a privileged event.
    assert.ok(found.includes('.github/workflows/build.yml build pipeline/tainted-input'), found.join('\n'))
    // The corpus's pwn request, at its labeled job.
    assert.ok(found.some((f) => f.startsWith('.github/workflows/pr-quality-check.yaml quality ')), found.join('\n'))
    const auditor = checkRepository(dir, Policy.builtin(), 'auditor')
    assert.ok(auditor.violations.length >= decision.violations.length)
    assert.throws(() => checkRepository(dir, null, 'loud'), /persona/)
    assert.throws(() => assertPipelineSafe(null, dir), (e) => {
      assert.equal(e.name, 'AssertionError')
      assert.match(e.message, /release\.yml:10: error\[pipeline\/tainted-input\] job `publish`/)
      return true
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('an empty repository is never a clean pass; a clean one passes', () => {
  const empty = build({})
  const clean = build({ '.github/workflows/pr-quality-check.yaml': fixed })
  try {
    const decision = checkRepository(empty)
    assert.equal(decision.allowed, false)
    assert.deepEqual(decision.codes, ['import/incomplete'])
    assert.throws(() => assertPipelineSafe(null, empty), /no pipeline file was found/)
    const accepted = checkRepository(empty, null, null, true)
    assert.ok(accepted.allowed && accepted.subject.includes('incomplete, accepted'))
    assert.equal(checkRepository(clean).allowed, true)
    assertPipelineSafe(null, clean, null, 'regular')
    assert.throws(() => checkRepository(join(empty, 'missing')), /cannot read/)
  } finally {
    rmSync(empty, { recursive: true, force: true })
    rmSync(clean, { recursive: true, force: true })
  }
})
