// The package's entry point: the napi-generated loader (index.js) plus what napi cannot
// generate. Hand-written on purpose and kept small:
//   - error classes, so `err instanceof lockkeeper.InvalidRequestError` works (the native code
//     throws plain `Error`s whose `name` says the class; each is given that class here);
//   - argument errors that name the argument (`Policy.authorize: argument \`principal\` must be
//     a string, got undefined`) instead of napi's internal conversion messages;
//   - `console.log(decision)` and friends print what the object holds.
// Nothing here decides anything: every call goes straight to the native function, and the
// wrapper only acts once that call has thrown. One exception is a matter of cost, not of
// deciding: `Policy.authorize` passes a well-formed scope as strings and builds an allow's
// `Decision` object only when it is read (see `fastAuthorize` at the end).
'use strict'

const { inspect } = require('node:util')
const binding = require('./index.js')

/** Base of every error lockkeeper throws about a request or a document; `code` is the rule code. */
class LockkeeperError extends Error {}
/** A policy with problems: `path`, `line`, `column` of the first, `problems` for all. */
class PolicyError extends LockkeeperError {}
/** A request naming something that does not exist, or input that cannot be read. */
class InvalidRequestError extends LockkeeperError {}
/** An envelope that did not verify against the given keys and threshold; `keyids` verified. */
class VerificationError extends LockkeeperError {}
/** Pipeline files that cannot be read. */
class PipelineError extends LockkeeperError {}
/** An invalid inventory file. */
class InventoryError extends LockkeeperError {}
/** An image layout that does not verify. */
class ImageError extends LockkeeperError {}
/** An audit log that refused an append or a checkpoint. */
class AuditLogError extends LockkeeperError {}

const errorClasses = {
  LockkeeperError,
  PolicyError,
  InvalidRequestError,
  VerificationError,
  PipelineError,
  InventoryError,
  ImageError,
  AuditLogError,
}
for (const [name, cls] of Object.entries(errorClasses)) {
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true })
}

// napi's own conversion failures carry one of these codes and a message about Rust types; our
// own argument errors (strict options objects) carry `InvalidArg` and name what is wrong.
const NAPI_CODES = new Set([
  'InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected',
  'ArrayBufferExpected', 'DetachableArraybufferExpected', 'GenericFailure',
])
const NAPI_MESSAGE = /rust type|napi value|Expect value to be|Missing field|Failed to (get|create|recover)|Value is not|none of these types/

/** Parameter lists of every exported function and method, and the fields of each options
 * interface, read from index.d.ts when first needed. */
let signatures = null
const interfaces = new Map()
function signature(owner, method) {
  if (signatures === null) {
    signatures = new Map()
    let text = ''
    try {
      text = require('node:fs').readFileSync(require('node:path').join(__dirname, 'index.d.ts'), 'utf8')
    } catch {
      // Without the declarations the message names the function, not the argument.
    }
    let cls = null
    let iface = null
    for (const line of text.split('\n')) {
      const c = /^export declare class (\w+)/.exec(line)
      if (c) { cls = c[1]; continue }
      const i = /^export interface (\w+)/.exec(line)
      if (i) { iface = i[1]; interfaces.set(iface, []); continue }
      if (line.startsWith('}')) { cls = null; iface = null; continue }
      const field = iface && /^ {2}(\w+)\??: (.*)$/.exec(line)
      if (field) { interfaces.get(iface).push({ name: field[1], type: field[2] }); continue }
      const f = /^export declare function (\w+)\((.*)\):/.exec(line)
      if (f) { signatures.set(f[1], params(f[2])); continue }
      const m = cls && /^ {2}(?:static )?(constructor|\w+)\((.*)\)(?::|$)/.exec(line)
      if (m) signatures.set(`${cls}.${m[1]}`, params(m[2]))
    }
  }
  return signatures.get(owner ? `${owner}.${method}` : method)
}

/** `a: T, b?: U` as `[{name, optional, type}]`. */
function params(list) {
  return split(list, ',')
    .map((part) => /^(\w+)(\?)?:\s*(.*)$/.exec(part))
    .filter(Boolean)
    .map((m) => ({ name: m[1], optional: Boolean(m[2]), type: m[3] }))
}

/** Splits `text` at top-level `sep` (outside brackets). */
function split(text, sep) {
  const out = []
  let depth = 0
  let start = 0
  for (let i = 0; i <= text.length; i++) {
    const ch = text[i]
    if (ch === '<' || ch === '(' || ch === '[' || ch === '{') depth++
    else if (ch === '>' || ch === ')' || ch === ']' || ch === '}') depth--
    else if ((ch === sep && depth === 0) || i === text.length) {
      out.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  return out
}

/** A type's alternatives (`string | Buffer`). */
function alternatives(type) {
  return split(type, '|')
}

/** Whether `value` is of the declared TypeScript `type` (as far as napi will convert it). */
function fits(value, type) {
  return alternatives(type).some((t) => {
    if (t === 'string') return typeof value === 'string'
    if (t === 'number') return typeof value === 'number'
    if (t === 'boolean') return typeof value === 'boolean'
    if (t === 'undefined') return value === undefined
    if (t === 'null') return value === null
    if (t === 'Buffer') return Buffer.isBuffer(value)
    const array = /^Array<(.*)>$/.exec(t)
    if (array) return Array.isArray(value) && value.every((v) => fits(v, array[1]))
    const tuple = /^\[(.*)\]$/.exec(t)
    if (tuple) {
      const items = split(tuple[1], ',')
      return Array.isArray(value) && value.length === items.length && items.every((it, i) => fits(value[i], it))
    }
    const cls = binding[t]
    if (typeof cls === 'function' && cls.prototype) return value instanceof cls
    return typeof value === 'object' && value !== null
  })
}

function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (Buffer.isBuffer(value)) return 'a Buffer'
  if (typeof value === 'object') return `an object (${value.constructor ? value.constructor.name : 'null prototype'})`
  if (typeof value === 'string') return `a string`
  return `${typeof value} ${String(value)}`
}

function expected(type) {
  return alternatives(type)
    .filter((t) => t !== 'undefined' && t !== 'null')
    .map((t) => (t === 'string' || t === 'number' || t === 'boolean' ? `a ${t}` : t))
    .join(' or ')
}

function argumentError(message) {
  const err = new TypeError(message)
  err.code = 'InvalidArg'
  return err
}

/** The error a caller sees for `error`, thrown by `owner.method(...args)`. */
function translate(error, owner, method, args) {
  if (!(error instanceof Error)) return error
  const cls = errorClasses[error.name]
  if (cls && !(error instanceof cls)) {
    Object.setPrototypeOf(error, cls.prototype)
    return error
  }
  // Only a conversion failure (napi's, the engine's, or an options object that is not one) is
  // about the arguments' types; any other error (a file that cannot be read) is the answer.
  const internal = NAPI_CODES.has(error.code) && NAPI_MESSAGE.test(error.message)
  const engine = error instanceof TypeError && error.code === undefined
  if (!internal && !engine && !/: unknown option/.test(error.message)) return error
  const where = owner ? (method === 'constructor' ? `new ${owner}` : `${owner}.${method}`) : method
  const list = signature(owner, method) || []
  for (let i = 0; i < list.length; i++) {
    const p = list[i]
    const value = args[i]
    if (value === undefined && !p.optional && !/\bundefined\b/.test(p.type)) {
      return argumentError(`${where}: argument \`${p.name}\` is required (${expected(p.type)})`)
    }
    if (value !== undefined && !fits(value, p.type)) {
      return argumentError(`${where}: argument \`${p.name}\` must be ${expected(p.type)}, got ${describe(value)}`)
    }
  }
  if (!internal) return error
  // A field of an options object: napi names it (`Missing field \`x\``, `... on Scope.environment`).
  // The parameter an options object was given as: the one whose type names the struct, else
  // the first one that takes an options object.
  const options = list.find((p) =>
    alternatives(p.type).some((t) => /^[A-Z]\w*$/.test(t) && t !== 'Buffer' && typeof binding[t] !== 'function'))
  // Where a struct sits in the arguments: a parameter of that type (`scope`), or a list field
  // of a parameter's interface (`request.approvals[]`).
  const holder = (struct) => {
    if (!struct) return null
    const direct = list.find((p) => alternatives(p.type).includes(struct))
    if (direct) return direct
    for (const p of list) {
      for (const t of alternatives(p.type)) {
        const f = (interfaces.get(t) || []).find((x) => new RegExp(`\\b${struct}\\b`).test(x.type))
        if (f) return { name: `${p.name}.${f.name}${/Array</.test(f.type) ? '[]' : ''}` }
      }
    }
    return null
  }
  const missing = /Missing field `(\w+)`(?: on (\w+)\.(\w+))?/.exec(error.message)
  if (missing) {
    const p = holder(missing[2]) || options
    const path = missing[2] ? `${missing[3]}[].${missing[1]}` : missing[1]
    return argumentError(`${where}: \`${p ? `${p.name}.` : ''}${path}\` is required`)
  }
  const field =
    /into rust type `(\w+)` on (\w+)\.(\w+)/.exec(error.message) ||
    /none of these types (.*?),?\s+on (\w+)\.(\w+)/.exec(error.message)
  if (field) {
    const names = { String: 'a string', bool: 'a boolean', f64: 'a number', u32: 'a number', Date: 'a Date', Buffer: 'a Buffer' }
    const type = field[1]
      .split(',')
      .map((t) => t.trim().replace(/`/g, ''))
      .filter(Boolean)
      .map((t) => names[t] || `a ${t}`)
      .join(' or ')
    const p = holder(field[2])
    const path = p ? `${p.name}.${field[3]}` : options ? `${options.name}: ${field[2]}.${field[3]}` : `${field[2]}.${field[3]}`
    return argumentError(`${where}: \`${path}\` must be ${type}`)
  }
  return argumentError(`${where}: an argument has the wrong type (expected ${where}(${list.map((p) => `${p.name}${p.optional ? '?' : ''}: ${p.type}`).join(', ')}))`)
}

function wrap(fn, owner, method) {
  const wrapped = function (...args) {
    try {
      return fn.apply(this, args)
    } catch (error) {
      throw translate(error, owner, method, args)
    }
  }
  Object.defineProperty(wrapped, 'name', { value: fn.name || method })
  Object.defineProperty(wrapped, 'length', { value: fn.length })
  return wrapped
}

/** `console.log(x)` shows the machine form of objects that have one, under their class name. */
function inspectable(cls, name) {
  const proto = cls.prototype
  if (typeof proto.toJSON !== 'function') return
  Object.defineProperty(proto, inspect.custom, {
    value(depth, options, inspectFn) {
      const show = typeof inspectFn === 'function' ? inspectFn : inspect
      return `${name} ${show(this.toJSON(), { ...options, depth: options.depth === null ? null : Math.max(options.depth, 4) })}`
    },
    configurable: true,
  })
}

// Captured before the loop below wraps the prototype's methods: the fast path of
// `Policy.authorize` calls it directly (see `fastAuthorize`).
const nativeAuthorize = binding.Policy.prototype._authorize

const api = { ...errorClasses }
for (const [name, value] of Object.entries(binding)) {
  if (typeof value !== 'function') {
    api[name] = value
    continue
  }
  if (!/^[A-Z]/.test(name)) {
    api[name] = wrap(value, null, name)
    continue
  }
  // Static methods of napi classes are read-only, so the class is exported as a new function
  // sharing the native prototype (`instanceof` holds for the objects the native code returns).
  const native = value
  const exported = function (...args) {
    if (!new.target) throw new TypeError(`Class constructor ${name} cannot be invoked without 'new'`)
    try {
      return Reflect.construct(native, args)
    } catch (error) {
      throw translate(error, name, 'constructor', args)
    }
  }
  Object.defineProperty(exported, 'name', { value: name })
  exported.prototype = native.prototype
  for (const key of Object.getOwnPropertyNames(native)) {
    const d = Object.getOwnPropertyDescriptor(native, key)
    if (d && typeof d.value === 'function' && !['arguments', 'caller'].includes(key)) {
      Object.defineProperty(exported, key, { value: wrap(d.value, name, key), enumerable: false, configurable: true, writable: true })
    }
  }
  for (const key of Object.getOwnPropertyNames(native.prototype)) {
    const d = Object.getOwnPropertyDescriptor(native.prototype, key)
    if (key !== 'constructor' && d && typeof d.value === 'function' && d.configurable) {
      Object.defineProperty(native.prototype, key, { ...d, value: wrap(d.value, name, key) })
    }
  }
  inspectable(native, name)
  api[name] = exported
}

// `Policy.authorize` is the call a service makes per request, so its cost is the binding's
// (docs/node.md, "Cost of a call"). Two napi costs dominated it: reading a scope object
// (listing its keys, then looking each field up by name) and building a `Decision` class
// instance (a constructor call, a wrap, napi-rs's reference map and a finalizer per object).
// So a call whose arguments are plainly well-formed passes the scope's fields as strings, and
// an allow comes back as `true`: the `Decision` object is built from the same request on first
// use past `allowed` (the policy cannot change, so it is the same decision, with the same
// time). Any other call, and every denial, takes the native path as before, which checks and
// names what is wrong: this only chooses the path, it never decides or excuses anything.
const slowAuthorize = binding.Policy.prototype.authorize
const NativeDecision = binding.Decision

/** An allowed `authorize` decision, built natively the first time more than `allowed` is read. */
class AllowedDecision {
  #policy
  #request
  #decision = null
  constructor(policy, request) {
    this.#policy = policy
    this.#request = request
  }

  /** The native `Decision`, asked again with `full` (the same request and time). */
  static native(self) {
    if (self.#decision === null) {
      const [principal, action, project, ref, environment, at] = self.#request
      const decision = nativeAuthorize.call(self.#policy, principal, action, project, ref, environment, at, true)
      // The policy is immutable: the same request cannot now be denied. Were it ever, fail
      // closed rather than show a denial under an object that said `allowed`.
      if (!(decision instanceof NativeDecision) || !decision.allowed) {
        throw new Error('lockkeeper: an allowed decision could not be rebuilt')
      }
      self.#decision = decision
    }
    return self.#decision
  }
}
Object.setPrototypeOf(AllowedDecision.prototype, NativeDecision.prototype)
for (const key of Reflect.ownKeys(NativeDecision.prototype)) {
  if (key === 'constructor' || key === inspect.custom) continue
  const d = Object.getOwnPropertyDescriptor(NativeDecision.prototype, key)
  if (d.get) {
    Object.defineProperty(AllowedDecision.prototype, key, {
      get() { return AllowedDecision.native(this)[key] },
      enumerable: d.enumerable,
      configurable: true,
    })
  } else if (typeof d.value === 'function') {
    Object.defineProperty(AllowedDecision.prototype, key, {
      value: { [key](...args) { return AllowedDecision.native(this)[key](...args) } }[key],
      enumerable: d.enumerable,
      configurable: true,
      writable: true,
    })
  }
}
// What an allow is without asking: allowed, and no violation.
for (const [key, value] of [['allowed', () => true], ['violations', () => []], ['codes', () => []]]) {
  Object.defineProperty(AllowedDecision.prototype, key, { get: value, configurable: true })
}

/** `Policy.authorize(principal, action, scope?)`. */
function fastAuthorize(principal, action, scope) {
  if (typeof principal !== 'string' || typeof action !== 'string') {
    return slowAuthorize.call(this, principal, action, scope)
  }
  let project
  let ref
  let environment
  if (scope !== undefined && scope !== null) {
    if (typeof scope !== 'object') return slowAuthorize.call(this, principal, action, scope)
    // Own and inherited enumerable keys, as napi lists them; anything unexpected (an unknown
    // key, a value that is not a string) goes the native way, which refuses it by name.
    for (const key in scope) {
      const value = scope[key]
      if (value !== undefined && value !== null && typeof value !== 'string') {
        return slowAuthorize.call(this, principal, action, scope)
      }
      if (key === 'project') project = value ?? undefined
      else if (key === 'ref') ref = value ?? undefined
      else if (key === 'environment') environment = value ?? undefined
      else return slowAuthorize.call(this, principal, action, scope)
    }
  }
  const at = Date.now()
  let answer
  try {
    answer = nativeAuthorize.call(this, principal, action, project, ref, environment, at, false)
  } catch (error) {
    throw translate(error, 'Policy', 'authorize', [principal, action, scope])
  }
  if (answer === true) return new AllowedDecision(this, [principal, action, project, ref, environment, at])
  return answer
}
Object.defineProperty(fastAuthorize, 'name', { value: 'authorize' })
Object.defineProperty(binding.Policy.prototype, 'authorize', {
  ...Object.getOwnPropertyDescriptor(binding.Policy.prototype, 'authorize'),
  value: fastAuthorize,
})
delete binding.Policy.prototype._authorize

module.exports = api
