// Type-checked by `tsc --noEmit` in the test command: a Gerrit bot's use of the API, typed
// against the generated index.d.ts. If the bindings change shape, this stops compiling.
import { Policy, Decision, Violation, rules, rebuildPlan, RebuildPlan, PlannedImage, PathStep, Pipeline, checkPipeline, checkRepository, assertPipelineSafe, TrustedRoot, BundleResult, verifyBundle } from '../index'

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

import { Envelope, EnvelopeVerification, SigningKey, PublicKey, Statement, digest, verifyEnvelopes } from '../index'

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
  const p256: SigningKey = SigningKey.generate('ecdsa-p256')
  const scheme: string = p256.publicKey.scheme
  const pinned: PublicKey = PublicKey.fromPem(p256.publicKey.toPem(), 'ecdsa-sha2-nistp256').withScheme(scheme)
  const same: boolean = pinned.equals(PublicKey.parse(Buffer.from(p256.publicKey.toPem())))
  console.log(p256.scheme, same)
  return d.allowed
}

import { DeployOutcome, ReleasedSecret } from '../index'

export function deployGate(policyPath: string, evidence: Buffer[]): string[] {
  const policy: Policy = Policy.fromFile(policyPath)
  const outcome: DeployOutcome = policy.deployRequest({
    artifact: 'sha256:' + '0'.repeat(64), to: 'production', by: 'alice', evidence,
    approvals: [{ principal: 'bob', at: '2026-11-24T10:00:00Z' }], version: '1.4.2',
  })
  const secrets: ReleasedSecret[] = outcome.releasedSecrets
  const record: Statement | null = outcome.promotionRecord
  console.log(outcome.decision.codes, record?.toJson())
  return secrets.map((s) => `${s.name}@${s.zone}`)
}

export function images(policyPath: string, layouts: string[], vulnerable: string, inventory: string): boolean {
  const policy: Policy = Policy.fromFile(policyPath)
  const decisions: Decision[] = policy.checkImages(layouts)
  const one: Decision = policy.checkImage(layouts[0])
  const pair: Decision = policy.checkImageManifest('manifest.json', 'config.json')
  const plan: RebuildPlan = rebuildPlan([vulnerable], { inventory })
  for (const wave of plan.waves) {
    for (const image of wave) {
      const planned: PlannedImage = image
      const steps: PathStep[] = planned.path
      const waveNo: number | undefined = planned.wave ?? undefined
      console.log(planned.name, planned.digest, waveNo, steps.map((s) => s.name ?? s.digest).join(' -> '))
    }
  }
  const fromLayouts: RebuildPlan = rebuildPlan([vulnerable], { layouts })
  console.log(one.allowed, pair.allowed, plan.affected, plan.cycles, plan.missingBases.map((m) => m.baseDigest), fromLayouts.text)
  return decisions.every((d) => d.allowed)
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

export function pipelineIsSafe(policyPath: string, workflows: string[]): boolean {
  const pipeline: Pipeline = Pipeline.fromFiles(workflows, 'github')
  const jobs: Array<Record<string, unknown>> = pipeline.jobs
  const unsupported: Array<{ file: string; line?: number; path: string; message: string }> = pipeline.unsupported
  const policy: Policy = Policy.fromFile(policyPath)
  const decision: Decision = policy.checkPipeline(pipeline)
  const byDefault: Decision = checkPipeline(pipeline, null)
  const asAuditor: Decision = checkPipeline(pipeline, null, 'auditor')
  const builtin: Policy = Policy.builtin()
  console.log(jobs.length, unsupported.length, pipeline.files, pipeline.length, builtin.zones)
  assertPipelineSafe(policy, workflows, 'github')
  assertPipelineSafe(null, workflows[0])
  const repository: Decision = checkRepository('.', policy, 'pedantic', true)
  assertPipelineSafe(null, '.', null, 'auditor', true)
  console.log(repository.allowed)
  const fromText: Pipeline = Pipeline.fromYaml('jobs: {}', 'native', 'pipeline.yaml')
  return decision.allowed && byDefault.allowed && asAuditor.allowed && fromText.length === 0
}

// The package's entry point: the same API plus error classes for `instanceof`.
import * as lockkeeper from '../lockkeeper'

export function mayDeployOrWhy(policyPath: string, environment: string): string {
  const policy: lockkeeper.Policy = lockkeeper.Policy.fromFile(policyPath)
  try {
    const decision: lockkeeper.Decision = policy.authorize('alice', 'deploy', { environment })
    const ignored: lockkeeper.IgnoredEvidence[] = policy
      .promote({ artifact: 'sha256:' + 'a'.repeat(64), to: environment, by: 'alice' })
      .evidenceIgnored
    return `${decision.allowed} ${ignored.length}`
  } catch (e) {
    if (e instanceof lockkeeper.InvalidRequestError) return `refused: ${e.code}`
    if (e instanceof lockkeeper.PolicyError) return `${e.code} at ${e.line}:${e.column}`
    if (e instanceof lockkeeper.LockkeeperError) return e.code
    throw e
  }
}

/** A release script checking a GitHub attestation offline before promoting the artifact. */
export function attested(bundle: Buffer, artifact: Buffer, rootPath: string): boolean {
  const root: TrustedRoot = TrustedRoot.fromFile(rootPath)
  const result: BundleResult = verifyBundle(bundle, root, {
    artifact,
    identity: {
      issuer: 'https://token.actions.githubusercontent.com',
      subject_pattern: 'https://github.com/example/app/.github/workflows/release.yml@refs/tags/*',
      runner_environment: 'github-hosted',
      build_trigger: ['release', 'push'],
    },
  })
  const checks: Array<Record<string, unknown>> = result.identityChecks
  const verified: Record<string, unknown> | null = result.verified
  const gated: Policy = Policy.fromFile('policy.yaml').withTrustedRoot(root)
  console.log(checks.length, verified, gated, result.decision.codes)
  return result.allowed
}

/** A release script checking a directory's worth of envelopes in one batch. */
export function unverified(texts: Array<string>, keys: Array<PublicKey>): Array<string> {
  const results: Array<EnvelopeVerification> = verifyEnvelopes(texts.map((t) => Envelope.fromJson(t)), keys, 1)
  return results.flatMap((r, i) => (r.verified ? [] : [`${i}: ${r.code ?? ''} ${r.message ?? ''}`]))
}
