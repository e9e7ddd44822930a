// Per-operation call counts ("sts:AssumeRole"), including failures by error code, for the admin
// path: tests assert "exactly one STS call" and benchmarks report what reached the backend.

export interface OperationCounts {
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
}

export interface CallCounts {
  record(key: string, errorCode: string | undefined): void;
  snapshot(): Record<string, OperationCounts>;
  clear(): void;
}

export function createCallCounts(): CallCounts {
  const counts = new Map<string, { total: number; ok: number; failed: number; errors: Record<string, number> }>();
  return {
    record(key, errorCode) {
      let c = counts.get(key);
      if (c === undefined) {
        c = { total: 0, ok: 0, failed: 0, errors: {} };
        counts.set(key, c);
      }
      c.total += 1;
      if (errorCode === undefined) c.ok += 1;
      else {
        c.failed += 1;
        c.errors[errorCode] = (c.errors[errorCode] ?? 0) + 1;
      }
    },
    snapshot: () => Object.fromEntries([...counts].map(([k, c]) => [k, { ...c, errors: { ...c.errors } }])),
    clear: () => counts.clear(),
  };
}
