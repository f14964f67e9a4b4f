// Type-checked by `tsc --noEmit` in the test command: a Gerrit bot's use of the API, typed
// against the generated index.d.ts. If the bindings change shape, this stops compiling.
import { Policy, Decision, Violation, rules } from '../index'

export function mayDeploy(policyPath: string, who: string): boolean {
  const policy: Policy = Policy.fromFile(policyPath)
  const decision: Decision = policy.authorize(who, 'deploy', { project: 'mediawiki/core', environment: 'production' })
  const violations: Violation[] = decision.violations
  for (const v of violations) {
    const code: string = v.code
    const facts: Record<string, unknown> = v.facts
    console.log(code, facts, v.help)
  }
  const quorum: Decision = policy.checkApprovals(['bob', 'carol'], { required: 2, author: 'alice', project: 'mediawiki/core' })
  const json: { allowed: boolean; violations: Violation[] } = decision.toJSON()
  const codes: string[] = rules().map((r) => r.code)
  console.log(quorum.allowed, json.allowed, codes.length, decision.toJson(), String(decision))
  return decision.allowed
}

import { Envelope, SigningKey, PublicKey, Statement, digest } from '../index'

export function signAndVerify(policyPath: string): boolean {
  const key: SigningKey = SigningKey.generate()
  const pub: PublicKey = key.publicKey
  const artifact: string = digest(Buffer.from('app'))
  const statement: Statement = Statement.provenance('https://ci/b', [['app', artifact]], { source: 'git+https://g/r/app', ref: 'refs/heads/main' })
  const envelope: Envelope = Envelope.sign(statement.toJson(), [key])
  const keyids: string[] = envelope.verify([pub], 1)
  const policy: Policy = Policy.fromFile(policyPath)
  const d: Decision = policy.verifyProvenance(envelope.toJson(), artifact, 'production')
  const ssl: Record<string, unknown> = pub.toSecuresystemslib()
  console.log(keyids, ssl, statement.subjects[0].digest, envelope.payload.length)
  return d.allowed
}

import { AuditLog, AuditEntry, AuditCheckpoint } from '../index'

export function recordAndVerify(policyPath: string, logPath: string, keyPem: string): boolean {
  const key: SigningKey = SigningKey.fromPem(keyPem)
  const decision: Decision = Policy.fromFile(policyPath).authorize('alice', 'deploy', { environment: 'production' })
  const log = new AuditLog(logPath)
  const entry: AuditEntry = log.append(decision.toJSON(), key)
  const seq: number = entry.seq
  const kept: AuditCheckpoint = log.checkpoint(key)
  const again: AuditCheckpoint = AuditCheckpoint.fromJson(kept.toJson())
  log.append('{"note": "text works too"}', key)
  const verified: Decision = log.verify(key.publicKey, again)
  console.log(seq, entry.hash, entry.record, kept.count, kept.head, log.path)
  return verified.allowed
}
