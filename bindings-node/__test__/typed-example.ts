// Type-checked by `tsc --noEmit` in the test command: a Gerrit bot's use of the API, typed
// against the generated index.d.ts. If the bindings change shape, this stops compiling.
import { Policy, Decision, Violation, Pipeline, rules, checkPipeline, assertPipelineSafe } from '../index'

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

export function pipelineIsSafe(policyPath: string, workflows: string[]): boolean {
  const pipeline: Pipeline = Pipeline.fromFiles(workflows, 'github')
  const jobs: Array<Record<string, unknown>> = pipeline.jobs
  const unsupported: Array<{ file: string; line?: number; path: string; message: string }> = pipeline.unsupported
  const policy: Policy = Policy.fromFile(policyPath)
  const decision: Decision = policy.checkPipeline(pipeline)
  const byDefault: Decision = checkPipeline(pipeline, null)
  const builtin: Policy = Policy.builtin()
  console.log(jobs.length, unsupported.length, pipeline.files, pipeline.length, builtin.zones)
  assertPipelineSafe(policy, workflows, 'github')
  assertPipelineSafe(null, workflows[0])
  const fromText: Pipeline = Pipeline.fromYaml('jobs: {}', 'native', 'pipeline.yaml')
  return decision.allowed && byDefault.allowed && fromText.length === 0
}
