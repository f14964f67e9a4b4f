// The bot against recorded events: ours (events.jsonl) and real Wikimedia stream-events from
// testdata/fixtures/gerrit-events (wikibugs2's recordings, vendored with their SOURCES.md).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { handle } from '../bot.mjs'

const require = createRequire(import.meta.url)
const { Policy } = require('../../../bindings-node/lockkeeper.js')
const here = dirname(fileURLToPath(import.meta.url))
const policyPath = join(here, '..', 'policy.yaml')
const fixtures = join(here, '..', '..', '..', 'testdata', 'fixtures', 'gerrit-events')

test('recorded events get the right answers, over stdin, as the bot runs', () => {
  const run = spawnSync(process.execPath, [join(here, '..', 'bot.mjs'), '--policy', policyPath, '--json'], {
    input: readFileSync(join(here, '..', 'events.jsonl')),
  })
  assert.equal(run.status, 0, run.stderr.toString())
  const answers = run.stdout.toString().trim().split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(answers.map((a) => [a.change, a.action, a.allowed]), [
    ['4242', 'merge', false],
    ['4243', 'merge', true],
    ['4244', 'merge', false],
    ['4243', 'deploy', false],
  ])
  assert.deepEqual(answers[0].codes, ['rbac/missing-permission'])
  assert.match(answers[0].comment, /newcomer gave Code-Review\+2: not allowed/)
  assert.match(answers[0].comment, /How to fix:/)
  assert.match(answers[2].comment, /cannot decide/)
  assert.match(run.stderr.toString(), /not JSON/)
})

test('real Wikimedia events: a maintainer +2 is allowed, the gate bot may not deploy', () => {
  const policy = Policy.fromFile(policyPath)
  const events = [
    ...JSON.parse(readFileSync(join(fixtures, 'wikibugs2_cr+2.json'), 'utf8')),
    ...JSON.parse(readFileSync(join(fixtures, 'wikibugs2_gate-submit-merge.json'), 'utf8')),
  ]
  const answers = events.map((e) => handle(policy, e)).filter(Boolean)
  const merge = answers.find((a) => a.action === 'merge')
  assert.equal(merge.principal, 'UserName 1')
  assert.equal(merge.allowed, true)
  const deploy = answers.find((a) => a.action === 'deploy')
  assert.equal(deploy.principal, 'jenkins-bot')
  assert.equal(deploy.allowed, false)
  assert.match(deploy.comment, /rbac\/missing-permission/)
})

test('an old-format pygerrit event without usernames is refused, not approved', () => {
  const policy = Policy.fromFile(policyPath)
  const event = JSON.parse(readFileSync(join(fixtures, 'pygerrit_comment-added-event.json'), 'utf8'))
  event.approvals = [{ type: 'CRVW', value: '2' }]
  const a = handle(policy, event)
  assert.equal(a.allowed, false)
})
