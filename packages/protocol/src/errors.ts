import { REASONS, type ErrorCodeName, type Reason } from "./codes.js";

export interface CredvendErrorOptions {
  /** The request field the error is about, e.g. "params.bucket". */
  readonly field?: string;
  /** For retryable errors: when to try again. */
  readonly retryAfterMs?: number;
  /** The underlying error. Never put it in a reply; it may hold details meant for logs only. */
  readonly cause?: unknown;
}

/**
 * The one error type that crosses credvend's boundaries. Its message is shown to the requester,
 * so it says what to fix and never contains a secret.
 */
export class CredvendError extends Error {
  override readonly name = "CredvendError";
  readonly reason: Reason;
  readonly code: ErrorCodeName;
  readonly retryable: boolean;
  readonly field: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(reason: Reason, message: string, options: CredvendErrorOptions = {}) {
    // No stack: a CredvendError is an answer (a refusal with its code), not a crash. Its stack is
    // never logged or sent (a log line carries its code, reason and message, and for INTERNAL the
    // stack of its cause), and capturing one cost about 5 µs per refusal, which a flood of
    // refusals (rate limits, overload) pays for every request. Stack capture is switched off for
    // this one synchronous constructor call only.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    const spec = REASONS[reason];
    this.reason = reason;
    this.code = spec.code;
    this.retryable = spec.retryable;
    this.field = options.field;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isCredvendError(value: unknown): value is CredvendError {
  return value instanceof CredvendError;
}
