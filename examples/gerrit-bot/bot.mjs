#!/usr/bin/env node
// A Gerrit bot: reads `ssh gerrit stream-events` JSON lines on stdin, decides with lockkeeper
// whether the account may merge (on a Code-Review +2) or deploy (on change-merged), and prints
// the review comment it would post, with the explanation.
//
//   ssh -p 29418 gerrit.example.org gerrit stream-events | node bot.mjs --policy policy.yaml
//
// Gerrit events may miss any field and numbers are sometimes strings: an event the bot cannot
// read is answered with a refusal that says why, never with an approval.
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Policy } = require(process.env.LOCKKEEPER_NODE ?? '../../bindings-node/lockkeeper.js')

export function parseArgs (argv) {
  const args = { policy: null, environment: 'production', json: false }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--policy') args.policy = argv[++i]
    else if (argv[i] === '--environment') args.environment = argv[++i]
    else if (argv[i] === '--json') args.json = true
  }
  if (!args.policy) throw new Error('usage: bot.mjs --policy POLICY [--environment ENV] [--json]')
  return args
}

function account (who) {
  return who?.username ?? who?.email ?? null
}

function codeReview (approvals) {
  const vote = (approvals ?? []).find((a) => a?.type === 'Code-Review' || a?.type === 'CRVW')
  return vote == null ? null : Number(vote.value)
}

/** The bot's answer to one event, or null when the event needs none. */
export function handle (policy, event, environment = 'production') {
  const change = event?.change ?? {}
  const number = change.number != null ? String(change.number) : '?'
  const scope = { project: change.project, ref: change.branch ? `refs/heads/${change.branch}` : undefined }
  if (event?.type === 'comment-added') {
    if (codeReview(event.approvals) !== 2) return null
    const who = account(event.author)
    if (!who || !change.project) {
      return { change: number, action: 'merge', allowed: false, comment: 'lockkeeper: cannot decide, the event names no author or project; the +2 does not count.' }
    }
    const d = policy.authorize(who, 'merge', scope)
    return { change: number, action: 'merge', principal: who, allowed: d.allowed, codes: d.codes, comment: comment(d, `${who} gave Code-Review+2`) }
  }
  if (event?.type === 'change-merged') {
    const who = account(event.submitter)
    if (!who || !change.project) {
      return { change: number, action: 'deploy', allowed: false, comment: 'lockkeeper: cannot decide, the event names no submitter or project.' }
    }
    const d = policy.authorize(who, 'deploy', { ...scope, ref: undefined, environment })
    return { change: number, action: 'deploy', principal: who, allowed: d.allowed, codes: d.codes, comment: comment(d, `${who} merged; deploy to ${environment}`) }
  }
  return null
}

function comment (decision, what) {
  if (decision.allowed) return `lockkeeper: ${what}: allowed.`
  const lines = [`lockkeeper: ${what}: not allowed.`]
  for (const v of decision.violations) {
    lines.push(`* [${v.code}] ${v.message}`)
    for (const b of v.facts.bindings_considered ?? []) {
      lines.push(`  - ${b.binding} (role ${b.role}): ${b.why_not}`)
    }
    lines.push(`  How to fix: ${v.help}`)
  }
  return lines.join('\n')
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  const policy = Policy.fromFile(args.policy)
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of rl) {
    if (!line.trim()) continue
    let event
    try {
      event = JSON.parse(line)
    } catch (e) {
      console.error(`skipping a line that is not JSON: ${e.message}`)
      continue
    }
    const answer = handle(policy, event, args.environment)
    if (!answer) continue
    if (args.json) console.log(JSON.stringify(answer))
    else console.log(`--- change ${answer.change}\n${answer.comment}\n`)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => { console.error(e.message); process.exit(2) })
}
