// Types of the package's entry point (lockkeeper.js): everything napi generates in index.d.ts,
// plus the error classes the entry point adds. Hand-written; kept small on purpose.
export * from './index'

/** Base of every error lockkeeper throws about a request or a document. */
export declare class LockkeeperError extends Error {
  /** The rule code, e.g. `rbac/unknown-environment`. */
  code: string
}
/** A policy with problems. */
export declare class PolicyError extends LockkeeperError {
  path: string | null
  line: number | null
  column: number | null
  problems: Array<{ code: string; message: string; path: string; line: number | null; column: number | null }>
}
/** A request naming something that does not exist, or input that cannot be read. */
export declare class InvalidRequestError extends LockkeeperError {}
/** An envelope that did not verify against the given keys and threshold. */
export declare class VerificationError extends LockkeeperError {
  /** The key ids that did verify. */
  keyids: Array<string>
}
/** Pipeline files that cannot be read. */
export declare class PipelineError extends LockkeeperError {
  file: string | null
  path: string | null
  line: number | null
  column: number | null
  problems: Array<Record<string, unknown>>
}
/** An invalid inventory file. */
export declare class InventoryError extends LockkeeperError {
  path: string | null
  line: number | null
  column: number | null
  problems: Array<Record<string, unknown>>
}
/** An image layout that does not verify. */
export declare class ImageError extends LockkeeperError {}
/** An audit log that refused an append or a checkpoint. */
export declare class AuditLogError extends LockkeeperError {
  line: number | null
}
