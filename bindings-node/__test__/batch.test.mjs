import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { SigningKey, Envelope, verifyEnvelopes } = require('../lockkeeper.js')

function tampered(envelope) {
  const doc = JSON.parse(envelope.toJson())
  const sig = Buffer.from(doc.signatures[0].sig, 'base64')
  sig[5] ^= 1
  doc.signatures[0].sig = sig.toString('base64')
  return Envelope.fromJson(JSON.stringify(doc))
}

test('verifyEnvelopes gives each envelope the result it has alone', () => {
  const ed = SigningKey.generate()
  const p256 = SigningKey.generate('ecdsa-p256')
  const keys = [ed.publicKey, p256.publicKey]
  const envelopes = Array.from({ length: 80 }, (_, i) => Envelope.sign(`payload ${i}`, [ed]))
  envelopes[7] = Envelope.sign('ecdsa', [p256])
  envelopes[40] = tampered(envelopes[40])
  envelopes[41] = Envelope.sign('untrusted', [SigningKey.generate()])
  const results = verifyEnvelopes(envelopes, keys)
  assert.equal(results.length, 80)
  results.forEach((r, i) => {
    if (i === 40 || i === 41) {
      assert.equal(r.verified, false, `envelope ${i}`)
      assert.equal(r.code, 'envelope/threshold-not-met')
      assert.deepEqual(r.keyids, [])
      assert.throws(() => envelopes[i].verify(keys), (e) => e.message === r.message)
    } else {
      assert.equal(r.verified, true, `envelope ${i}`)
      assert.deepEqual(r.keyids, envelopes[i].verify(keys))
    }
  })
  assert.deepEqual(results[7].keyids, [p256.keyid])
})

test('verifyEnvelopes applies the threshold to each envelope', () => {
  const a = SigningKey.generate()
  const b = SigningKey.generate()
  const keys = [a.publicKey, b.publicKey]
  const both = Envelope.sign('x', [a, b])
  const one = Envelope.sign('y', [a])
  const results = verifyEnvelopes([both, one], keys, 2)
  assert.deepEqual(results[0].keyids, [a.keyid, b.keyid])
  assert.equal(results[1].verified, false)
  assert.deepEqual(results[1].keyids, [a.keyid])
  assert.deepEqual(verifyEnvelopes([], keys), [])
  assert.equal(verifyEnvelopes([one], keys, 0)[0].verified, false)
})
