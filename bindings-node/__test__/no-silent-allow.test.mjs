// Requests that would be answered about something other than what they ask are refused with a
// clear, typed error; never decided, and never a napi-internal conversion message.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const lockkeeper = require('../index.js')
const { Policy } = lockkeeper
const here = dirname(fileURLToPath(import.meta.url))
const example = join(here, '..', '..', 'examples', 'wikimedia', 'policy.yaml')

test('authorize refuses an environment the policy does not define', () => {
  const p = Policy.fromFile(example)
  for (const who of ['dave', 'alice']) {
    assert.throws(() => p.authorize(who, 'deploy', { project: 'mediawiki/core', environment: 'prodution' }), (e) => {
      assert.equal(e.code, 'rbac/unknown-environment')
      assert.equal(e.name, 'InvalidRequestError')
      assert.match(e.message, /`prodution` is not defined in the policy \(defined: production, staging, testing\)/)
      return true
    })
  }
  assert.equal(p.authorize('alice', 'deploy', { project: 'mediawiki/core', environment: 'production' }).allowed, true)
})

test('checkApprovals refuses an environment the policy does not define', () => {
  const p = Policy.fromFile(example)
  assert.throws(
    () => p.checkApprovals(['bob'], { required: 1, project: 'mediawiki/core', environment: 'prodution' }),
    { code: 'rbac/unknown-environment' },
  )
  assert.equal(p.checkApprovals(['bob'], { required: 1, project: 'mediawiki/core', environment: 'production' }).allowed, true)
})
