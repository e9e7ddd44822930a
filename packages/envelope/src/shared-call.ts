// Single-flight KMS calls are shared by every caller that arrives while they run, so they must not
// carry one caller's AbortSignal: that caller's deadline would fail all the others. The shared
// call gets its own timeout instead (so a hung KMS cannot hold the single-flight slot forever),
// and each caller stops waiting at its own signal.

/** How long a shared (single-flight) KMS call may take. */
export const SHARED_KMS_CALL_TIMEOUT_MS = 30_000;

/** Settles with `promise`, or rejects with the signal's reason when it aborts first. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  // The shared call may still fail after every caller stopped waiting: never an unhandled rejection.
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
