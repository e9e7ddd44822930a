// A typed client for the admin path, for tests, the testkit and tools.
import type { OperationCounts } from "../core/call-counts.js";
import type { FaultConfig, FaultState } from "../core/faults.js";
import type { SessionView } from "../core/sessions.js";
import { ADMIN_TOKEN_HEADER } from "./guard.js";
import { ADMIN_PREFIX } from "./routes.js";

export interface ClockState {
  readonly nowMs: number;
  readonly now: string;
  readonly offsetMs: number;
}

export interface AdminClient {
  health(): Promise<{ status: string; emulator: string; accountId: string; region: string }>;
  /** What was issued with this access key id, or undefined if nothing was. */
  session(accessKeyId: string): Promise<SessionView | undefined>;
  calls(): Promise<Record<string, OperationCounts>>;
  reset(): Promise<void>;
  clock(): Promise<ClockState>;
  advanceClock(seconds: number): Promise<ClockState>;
  setClock(nowMs: number): Promise<ClockState>;
  faults(): Promise<FaultState>;
  /** Replaces the fault configuration ({} clears it). */
  setFaults(config: FaultConfig): Promise<FaultState>;
}

export class AdminRequestError extends Error {
  override readonly name = "AdminRequestError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `adminToken` is the one the emulator generated at start (`AwsLocal.adminToken`; the standalone
 * CLI prints it). Without it only health() answers.
 */
export function createAdminClient(endpoint: string, adminToken: string): AdminClient {
  const base = `${endpoint.replace(/\/+$/, "")}${ADMIN_PREFIX}`;
  const tokenHeader: Record<string, string> = typeof adminToken === "string" && adminToken !== "" ? { [ADMIN_TOKEN_HEADER]: adminToken } : {};
  async function call<T>(method: "GET" | "POST", route: string, body?: unknown): Promise<T> {
    const res = await fetch(base + route, {
      method,
      headers: { ...tokenHeader, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const parsed: unknown = await res.json();
    if (!res.ok) {
      const message = (parsed as { error?: string }).error ?? `HTTP ${res.status}`;
      throw new AdminRequestError(res.status, `aws-local admin ${method} ${route}: ${message}`);
    }
    return parsed as T;
  }
  return {
    health: () => call("GET", "health"),
    async session(id) {
      try {
        return await call<SessionView>("GET", `sessions/${encodeURIComponent(id)}`);
      } catch (err) {
        if (err instanceof AdminRequestError && err.status === 404) return undefined;
        throw err;
      }
    },
    calls: () => call("GET", "calls"),
    reset: async () => {
      await call("POST", "reset");
    },
    clock: () => call("GET", "clock"),
    advanceClock: (seconds) => call("POST", "clock", { advanceSeconds: seconds }),
    setClock: (nowMs) => call("POST", "clock", { nowMs }),
    faults: () => call("GET", "faults"),
    setFaults: (config) => call("POST", "faults", config),
  };
}
