// Type-checked by `tsc --noEmit` in the test command: a Gerrit bot's use of the API, typed
// against the generated index.d.ts. If the bindings change shape, this stops compiling.
import { Policy, Decision, Violation, rules, rebuildPlan, RebuildPlan, PlannedImage, PathStep } from '../index'

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
