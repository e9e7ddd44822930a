// The vendor's runtime settings: read from the environment once, validated, frozen.
// Nothing else in the vendor reads process.env (the AWS SDK reads its own standard variables).
import { z } from "zod";

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  NATS_URL: z.string().min(1).default("nats://127.0.0.1:4222"),
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  NATS_CREDS_FILE: z.string().optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://").default("redis://127.0.0.1:6379"),
  CREDVEND_CONFIG: z.string().min(1).optional(),
  CREDVEND_CONFIG_KV_BUCKET: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  CREDVEND_REPLY_KEY_ID: z.string().min(1).default("alias/credvend-replies"),
  CREDVEND_MAX_IN_FLIGHT: int(1, 100_000).default(256),
  CREDVEND_MAX_QUEUED: int(0, 1_000_000).default(4096),
  CREDVEND_MAX_QUEUED_BYTES: int(65_536, 4_294_967_296).default(16 * 1024 * 1024),
  CREDVEND_PRINCIPAL_MAX_IN_FLIGHT: int(1, 100_000).default(32),
  CREDVEND_PRINCIPAL_MAX_QUEUED: int(0, 1_000_000).default(128),
  CREDVEND_PRINCIPAL_MAX_WAITING: int(0, 1_000_000).default(1024),
  CREDVEND_TENANT_MAX_IN_FLIGHT: int(1, 100_000).default(128),
  CREDVEND_TENANT_MAX_QUEUED: int(0, 1_000_000).default(1024),
  CREDVEND_OVERLOAD_RETRY_AFTER_MS: int(1, 60_000).default(200),
  CREDVEND_REFUSAL_TTL_MS: int(1_000, 3_600_000).default(10_000),
  CREDVEND_DEFAULT_DEADLINE_MS: int(100, 300_000).default(10_000),
  CREDVEND_REPLAY_WINDOW_MS: int(1_000, 3_600_000).default(300_000),
  CREDVEND_IDEMPOTENCY_LEASE_MS: int(1_000, 600_000).default(30_000),
  CREDVEND_IDEMPOTENCY_TTL_MS: int(60_000, 7 * 86_400_000).default(86_400_000),
  CREDVEND_DATA_KEY_CACHE_SECONDS: int(0, 86_400).default(300),
  CREDVEND_VENDOR_ROLE_CREDENTIALS: bool.default(false),
  CREDVEND_DRAIN_TIMEOUT_MS: int(0, 600_000).default(15_000),
  CREDVEND_HTTP_PORT: int(0, 65_535).default(9465),
  CREDVEND_HTTP_HOST: z.string().min(1, "set an address to bind, e.g. 127.0.0.1 or 0.0.0.0").default("127.0.0.1"),
  CREDVEND_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  AWS_REGION: z.string().min(1, "set AWS_REGION (e.g. us-east-1): STS and KMS calls are signed for a region").optional(),
});

/** Every environment variable the worker reads (the AWS SDK also reads its own standard ones). */
export const SETTING_NAMES: readonly string[] = Object.freeze(Object.keys(schema.shape));

export interface WorkerSettings {
  readonly natsUrl: string;
  readonly natsUser: string | undefined;
  readonly natsPassword: string | undefined;
  readonly natsCredsFile: string | undefined;
  readonly redisUrl: string;
  /** Config file path (dev, reloads on SIGHUP) unless a KV bucket is named. */
  readonly configFile: string | undefined;
  readonly configKvBucket: string | undefined;
  readonly replyKeyId: string;
  readonly maxInFlight: number;
  readonly maxQueued: number;
  /** Bytes of payload all queues together may hold (admission refuses beyond it). */
  readonly maxQueuedBytes: number;
  /** Per principal: requests running at once, requests waiting for a slot. */
  readonly principalMaxInFlight: number;
  readonly principalMaxQueued: number;
  /** Per principal: duplicates of its in-flight requests held (without a slot) for the first one's reply. */
  readonly principalMaxWaiting: number;
  /** Per tenant (all its principals): requests running at once, requests waiting. */
  readonly tenantMaxInFlight: number;
  readonly tenantMaxQueued: number;
  /** retry_after_ms of an overload refusal. */
  readonly overloadRetryAfterMs: number;
  /** How long a stored refusal answers retries of its request id (successes live as long as their credentials). */
  readonly refusalTtlMs: number;
  readonly defaultDeadlineMs: number;
  readonly replayWindowMs: number;
  readonly idempotencyLeaseMs: number;
  readonly idempotencyTtlMs: number;
  readonly dataKeyCacheSeconds: number;
  /** The vendor runs on role credentials, so AssumeRole is role chaining (1 hour cap). */
  readonly vendorUsesRoleCredentials: boolean;
  readonly drainTimeoutMs: number;
  /** Health (/healthz, /readyz) and metrics (/metrics) port; 0 picks a free one. */
  readonly httpPort: number;
  /** Address the health and metrics port binds (0.0.0.0 in a container). */
  readonly httpHost: string;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  readonly region: string | undefined;
}

export const DEFAULT_SETTINGS: WorkerSettings = settingsFromEnv({});

export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

/** Validates the environment; the error names every bad variable and its value (passwords masked). */
export function settingsFromEnv(env: Readonly<Record<string, string | undefined>>): WorkerSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "?");
      const shown = /PASSWORD|SECRET|TOKEN/.test(name) ? "<hidden>" : JSON.stringify(present[name]);
      return `${name}=${shown}: ${issue.message}`;
    });
    throw new SettingsError(`invalid vendor settings:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  return Object.freeze({
    natsUrl: e.NATS_URL,
    natsUser: e.NATS_USER,
    natsPassword: e.NATS_PASSWORD,
    natsCredsFile: e.NATS_CREDS_FILE,
    redisUrl: e.REDIS_URL,
    configFile: e.CREDVEND_CONFIG,
    configKvBucket: e.CREDVEND_CONFIG_KV_BUCKET,
    replyKeyId: e.CREDVEND_REPLY_KEY_ID,
    maxInFlight: e.CREDVEND_MAX_IN_FLIGHT,
    maxQueued: e.CREDVEND_MAX_QUEUED,
    maxQueuedBytes: e.CREDVEND_MAX_QUEUED_BYTES,
    principalMaxInFlight: e.CREDVEND_PRINCIPAL_MAX_IN_FLIGHT,
    principalMaxQueued: e.CREDVEND_PRINCIPAL_MAX_QUEUED,
    principalMaxWaiting: e.CREDVEND_PRINCIPAL_MAX_WAITING,
    tenantMaxInFlight: e.CREDVEND_TENANT_MAX_IN_FLIGHT,
    tenantMaxQueued: e.CREDVEND_TENANT_MAX_QUEUED,
    overloadRetryAfterMs: e.CREDVEND_OVERLOAD_RETRY_AFTER_MS,
    refusalTtlMs: e.CREDVEND_REFUSAL_TTL_MS,
    defaultDeadlineMs: e.CREDVEND_DEFAULT_DEADLINE_MS,
    replayWindowMs: e.CREDVEND_REPLAY_WINDOW_MS,
    idempotencyLeaseMs: e.CREDVEND_IDEMPOTENCY_LEASE_MS,
    idempotencyTtlMs: e.CREDVEND_IDEMPOTENCY_TTL_MS,
    dataKeyCacheSeconds: e.CREDVEND_DATA_KEY_CACHE_SECONDS,
    vendorUsesRoleCredentials: e.CREDVEND_VENDOR_ROLE_CREDENTIALS,
    drainTimeoutMs: e.CREDVEND_DRAIN_TIMEOUT_MS,
    httpPort: e.CREDVEND_HTTP_PORT,
    httpHost: e.CREDVEND_HTTP_HOST,
    logLevel: e.CREDVEND_LOG_LEVEL,
    region: e.AWS_REGION,
  });
}
