// The vendor's runtime settings: read from the environment once, validated, frozen.
// Nothing else in the vendor reads process.env (the AWS SDK reads its own standard variables).
import { isClusterUrl, isSentinelUrl, parseClusterUrl, parseSentinelUrl } from "@credvend/guard";
import { redactUrls } from "@credvend/protocol";
import { z } from "zod";

const BOOL_VALUES = ["true", "false", "1", "0", "yes", "no"] as const;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const bool = z.enum(BOOL_VALUES).transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** One setting's documentation: what it means and what a valid value looks like. */
export interface SettingDoc {
  readonly meaning: string;
  readonly valid: string;
}
const docs: Record<string, SettingDoc> = {};
/** Records the setting's documentation beside its schema, so the reference can not drift from it. */
function setting<T extends z.ZodType>(name: string, field: T, meaning: string, valid: string): T {
  docs[name] = { meaning, valid };
  return field;
}
const whole = (min: number, max: number) => `a whole number from ${min} to ${max}`;
const intSetting = (name: string, min: number, max: number, fallback: number, meaning: string) =>
  setting(name, int(min, max).default(fallback), meaning, whole(min, max));

/** A redis+cluster:// or redis+sentinel:// URL whose node list does not parse is reported at start, with its fix. */
function discoveryUrlProblem(url: string, ctx: z.RefinementCtx): void {
  try {
    if (isClusterUrl(url)) parseClusterUrl(url);
    if (isSentinelUrl(url)) parseSentinelUrl(url);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
  }
}

const schema = z.object({
  NATS_URL: setting("NATS_URL", z.string().min(1).default("nats://127.0.0.1:4222"), "NATS servers, comma-separated (every node of a cluster, so a worker reconnects to any)", "nats://host:port[,nats://host:port...]"),
  NATS_USER: setting("NATS_USER", z.string().optional(), "the worker's NATS user (with NATS_PASSWORD)", "a user name from the generated authorization, e.g. credvend-vendor"),
  NATS_PASSWORD: setting("NATS_PASSWORD", z.string().optional(), "the worker's NATS password", "the password (never logged)"),
  NATS_CREDS_FILE: setting("NATS_CREDS_FILE", z.string().optional(), "instead of user and password, a NATS credentials file (JWT + nkey)", "a path to a .creds file"),
  REDIS_URL: setting("REDIS_URL", z.string().regex(/^rediss?(\+cluster|\+sentinel)?:\/\//, "must start with redis://, rediss://, redis+cluster://, redis+sentinel:// (or rediss+… for TLS), e.g. redis://:password@host:6379").superRefine(discoveryUrlProblem).default("redis://127.0.0.1:6379"),
    "Redis for idempotency, rate limits and caches; a Redis Cluster with redis+cluster:// and some of its nodes (the rest are discovered); a Sentinel-managed primary with redis+sentinel://, the Sentinels and the primary's name",
    "redis://[:password@]host:port, rediss://... (TLS), redis+cluster://[:password@]host:port[,host:port...], redis+sentinel://[:password@]host:port[,host:port...]/NAME, or rediss+... for TLS"),
  CREDVEND_REDIS_WAIT_REPLICAS: intSetting("CREDVEND_REDIS_WAIT_REPLICAS", 0, 16, 0, "replicas that must have each idempotency claim and completion (WAIT) before STS is called or the reply sent; 1 with replicas (Redis Cluster), so a failover can not forget a claim"),
  CREDVEND_CONFIG: setting("CREDVEND_CONFIG", z.string().min(1).optional(), "templates and access rules file (SIGHUP reloads it; an invalid new version is refused)", "a path to a YAML file"),
  CREDVEND_CONFIG_KV_BUCKET: setting("CREDVEND_CONFIG_KV_BUCKET", z.string().regex(/^[A-Za-z0-9_-]+$/, "must be a bucket name of letters, digits, - and _, e.g. credvend-config").optional(), "instead, a NATS KV bucket watched for new versions (fill it with credvend config push FILE)", "a bucket name, e.g. credvend-config"),
  CREDVEND_REPLY_KEY_ID: setting("CREDVEND_REPLY_KEY_ID", z.string().min(1).default("alias/credvend-replies"), "KMS key for reply data keys", "a key id, key ARN, alias/name or alias ARN"),
  CREDVEND_SEALING_KEY_FILE: setting("CREDVEND_SEALING_KEY_FILE", z.string().min(1).optional(), "X25519 private key that sealed replies are sealed with (requesters pin its public half); unset: sealed replies are refused", "a path to a PEM file from: openssl genpkey -algorithm X25519"),
  CREDVEND_PEER_KEY_FILE: setting("CREDVEND_PEER_KEY_FILE", z.string().min(1).optional(), "secret shared by every worker, which signs what workers ask each other for (reused sessions, data key leases); unset: each worker calls STS and KMS on its own", "a path to a file of at least 32 random bytes, the same on every worker, from: openssl rand -base64 32"),
  // 64: a little above the STS client's 50 HTTP sockets (the SDK's default agent). Requests run
  // beyond that only wait inside the SDK, each as a built and signed HTTP request with its
  // middleware context, and live long enough to be promoted to the old heap; waiting in the
  // admission queue they are one NATS message each (measured: 256 → 64 cut the worker's peak RSS
  // and its CPU per vend, same vends/s, at 256 and 2,000 requests in flight).
  CREDVEND_MAX_IN_FLIGHT: intSetting("CREDVEND_MAX_IN_FLIGHT", 1, 100_000, 64, "requests a worker runs at once (those beyond wait in the per-principal queues)"),
  CREDVEND_MAX_QUEUED: intSetting("CREDVEND_MAX_QUEUED", 0, 1_000_000, 4096, "requests waiting for a slot, all principals together; beyond, RESOURCE_EXHAUSTED"),
  CREDVEND_MAX_QUEUED_BYTES: intSetting("CREDVEND_MAX_QUEUED_BYTES", 65_536, 4_294_967_296, 16 * 1024 * 1024, "payload bytes all queues together may hold"),
  CREDVEND_PRINCIPAL_MAX_IN_FLIGHT: intSetting("CREDVEND_PRINCIPAL_MAX_IN_FLIGHT", 1, 100_000, 32, "requests of one principal running at once"),
  CREDVEND_PRINCIPAL_MAX_QUEUED: intSetting("CREDVEND_PRINCIPAL_MAX_QUEUED", 0, 1_000_000, 128, "requests of one principal waiting for a slot"),
  CREDVEND_PRINCIPAL_MAX_WAITING: intSetting("CREDVEND_PRINCIPAL_MAX_WAITING", 0, 1_000_000, 1024, "duplicates of one principal's in-flight requests held for the first one's reply"),
  CREDVEND_TENANT_MAX_IN_FLIGHT: intSetting("CREDVEND_TENANT_MAX_IN_FLIGHT", 1, 100_000, 128, "requests of one tenant (all its principals) running at once"),
  CREDVEND_TENANT_MAX_QUEUED: intSetting("CREDVEND_TENANT_MAX_QUEUED", 0, 1_000_000, 1024, "requests of one tenant waiting for a slot"),
  CREDVEND_OVERLOAD_RETRY_AFTER_MS: intSetting("CREDVEND_OVERLOAD_RETRY_AFTER_MS", 1, 60_000, 200, "retry_after_ms of an overload refusal"),
  CREDVEND_REFUSAL_TTL_MS: intSetting("CREDVEND_REFUSAL_TTL_MS", 1_000, 3_600_000, 10_000, "how long a stored refusal answers retries of its request id"),
  CREDVEND_DEFAULT_DEADLINE_MS: intSetting("CREDVEND_DEFAULT_DEADLINE_MS", 100, 300_000, 10_000, "deadline of a request that sets none"),
  CREDVEND_REPLAY_WINDOW_MS: intSetting("CREDVEND_REPLAY_WINDOW_MS", 1_000, 3_600_000, 300_000, "how far client_time_ms may be from the worker's clock"),
  // Short, and renewed every third of it: a killed worker's claim lapses well inside a client's
  // retry budget (3 attempts of 5 s), so another worker serves the retry.
  CREDVEND_IDEMPOTENCY_LEASE_MS: intSetting("CREDVEND_IDEMPOTENCY_LEASE_MS", 1_000, 600_000, 5_000, "a crashed worker's claim expires after this (live ones are renewed every third of it)"),
  CREDVEND_IDEMPOTENCY_FENCE_MARGIN_MS: intSetting("CREDVEND_IDEMPOTENCY_FENCE_MARGIN_MS", 0, 300_000, 0, "how far ahead of Redis's clock a client's clock may be before a request older than an emptied Redis is refused as stale"),
  CREDVEND_IDEMPOTENCY_TTL_MS: intSetting("CREDVEND_IDEMPOTENCY_TTL_MS", 60_000, 7 * 86_400_000, 86_400_000, "how long replies are replayable (never past the credentials' expiry)"),
  // Off by default (0): the right rate is the operator's share of the account's STS quota
  // (commonly cited at 600/s per account and region), which other callers of STS may share too.
  CREDVEND_STS_BUDGET_PER_SECOND: setting("CREDVEND_STS_BUDGET_PER_SECOND", z.coerce.number().min(0).max(100_000).default(0), "fleet-wide STS calls per second per AWS account and region, shared by all workers through Redis (0: no budget)", "a number from 0 to 100000"),
  CREDVEND_STS_BUDGET_BURST: intSetting("CREDVEND_STS_BUDGET_BURST", 1, 100_000, 100, "STS calls the fleet budget allows in a burst"),
  CREDVEND_DENIED_CACHE_MS: intSetting("CREDVEND_DENIED_CACHE_MS", 0, 300_000, 5_000, "how long an STS AccessDenied answers identical requests without calling STS (0: off)"),
  CREDVEND_DATA_KEY_CACHE_SECONDS: intSetting("CREDVEND_DATA_KEY_CACHE_SECONDS", 0, 86_400, 300, "reuse of a recipient's data key (0: one KMS call per reply)"),
  CREDVEND_VENDOR_ROLE_CREDENTIALS: setting("CREDVEND_VENDOR_ROLE_CREDENTIALS", bool.default(false), "the worker runs on role credentials: templates are capped at 1 hour (role chaining)", BOOL_VALUES.join(", ")),
  CREDVEND_DRAIN_TIMEOUT_MS: intSetting("CREDVEND_DRAIN_TIMEOUT_MS", 0, 600_000, 15_000, "how long a stop waits for in-flight requests"),
  CREDVEND_HTTP_PORT: intSetting("CREDVEND_HTTP_PORT", 0, 65_535, 9465, "health (/healthz, /readyz) and metrics (/metrics) port of credvend worker; 0 picks a free one"),
  CREDVEND_HTTP_HOST: setting("CREDVEND_HTTP_HOST", z.string().min(1, "set an address to bind, e.g. 127.0.0.1 or 0.0.0.0").default("127.0.0.1"), "address the health and metrics port binds (0.0.0.0 in a container)", "an IP address or host name, e.g. 127.0.0.1 or 0.0.0.0"),
  CREDVEND_AUDIT: setting("CREDVEND_AUDIT", z.enum(["required", "async", "off"], { message: "must be required (credentials wait for the audit write), async or off" }).default("required"), "audit stream: required (credentials leave only once their event is stored), async (never wait) or off", "required, async, off"),
  CREDVEND_AUDIT_TIMEOUT_MS: intSetting("CREDVEND_AUDIT_TIMEOUT_MS", 100, 60_000, 2000, "how long one audit write waits for the stream's ack"),
  CREDVEND_AUDIT_MAX_AGE_HOURS: intSetting("CREDVEND_AUDIT_MAX_AGE_HOURS", 1, 87_600, 2160, "retention of the audit stream when the worker creates it"),
  CREDVEND_AUDIT_DUPLICATE_WINDOW_MS: intSetting("CREDVEND_AUDIT_DUPLICATE_WINDOW_MS", 1000, 86_400_000, 120_000, "de-duplication window of the audit stream when the worker creates it"),
  CREDVEND_AUDIT_REFUSAL_WINDOW_MS: intSetting("CREDVEND_AUDIT_REFUSAL_WINDOW_MS", 0, 600_000, 10_000, "refusals of one kind (tenant, principal, template, outcome, reason) within this window are one full event and one summary with their count, so a flood can not fill the stream; 0: one event each"),
  CREDVEND_LOG_LEVEL: setting("CREDVEND_LOG_LEVEL", z.enum(LOG_LEVELS).default("info"), "pino level; one JSON completion line per request, secrets redacted", LOG_LEVELS.join(", ")),
  AWS_REGION: setting("AWS_REGION", z.string().min(1, "set AWS_REGION (e.g. us-east-1): STS and KMS calls are signed for a region").optional(), "region STS and KMS calls are signed for (the AWS SDK reads its other standard variables itself)", "a region name, e.g. us-east-1"),
});

/** One row of the generated reference: every setting, its default and what it means. */
export interface SettingReference extends SettingDoc {
  readonly name: string;
  readonly default: string | undefined;
}

export const SETTINGS_REFERENCE: readonly SettingReference[] = Object.freeze(Object.entries(schema.shape).map(([name, field]) => {
  const fallback = (field as z.ZodType).safeParse(undefined);
  const value = fallback.success ? fallback.data : undefined;
  const doc = docs[name] ?? { meaning: "", valid: "" };
  return { name, default: value === undefined ? undefined : String(value), ...doc };
}));

/** Every environment variable the worker reads (the AWS SDK also reads its own standard ones). */
export const SETTING_NAMES: readonly string[] = Object.freeze(Object.keys(schema.shape));

export interface WorkerSettings {
  readonly natsUrl: string;
  readonly natsUser: string | undefined;
  readonly natsPassword: string | undefined;
  readonly natsCredsFile: string | undefined;
  readonly redisUrl: string;
  /** Replicas that acknowledge each idempotency claim and completion (WAIT); 0: no WAIT. */
  readonly redisWaitReplicas: number;
  /** Config file path (dev, reloads on SIGHUP) unless a KV bucket is named. */
  readonly configFile: string | undefined;
  readonly configKvBucket: string | undefined;
  readonly replyKeyId: string;
  /** PEM file of the fleet's X25519 sealing key; sealed replies are refused without it. */
  readonly sealingKeyFile: string | undefined;
  /** The fleet's shared peer secret; without it workers share no sessions or data keys. */
  readonly peerKeyFile: string | undefined;
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
  /** Client clocks may run this far ahead of Redis's for the restart fence (see IdempotencyStore). */
  readonly idempotencyFenceMarginMs: number;
  readonly dataKeyCacheSeconds: number;
  /** STS calls per second the whole fleet may make per AWS account and region (0: no budget). */
  readonly stsBudgetPerSecond: number;
  readonly stsBudgetBurst: number;
  /** How long an STS AccessDenied answers the same request content (0: never remembered). */
  readonly deniedCacheMs: number;
  /** The vendor runs on role credentials, so AssumeRole is role chaining (1 hour cap). */
  readonly vendorUsesRoleCredentials: boolean;
  readonly drainTimeoutMs: number;
  /** required: credentials are handed out only once the audit stream acked their event; async: never wait; off. */
  readonly auditMode: "required" | "async" | "off";
  /** How long one audit publish waits for the stream's ack. */
  readonly auditTimeoutMs: number;
  /** Retention and de-duplication window of the audit stream when the worker creates it. */
  readonly auditMaxAgeHours: number;
  readonly auditDuplicateWindowMs: number;
  /** Refusals of one kind within this window are one full event plus one summary (0: one event each). */
  readonly auditRefusalWindowMs: number;
  /** Health (/healthz, /readyz) and metrics (/metrics) port; 0 picks a free one. */
  readonly httpPort: number;
  /** Address the health and metrics port binds (0.0.0.0 in a container). */
  readonly httpHost: string;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  readonly region: string | undefined;
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN/;

/**
 * A bad value as the error shows it: secrets hidden, URLs without their password. A value meant
 * as a URL but malformed (no "scheme://") still loses everything up to its last '@'.
 */
export function shownValue(name: string, value: string | undefined): string {
  if (value === undefined) return "(unset)";
  if (SECRET_NAME.test(name)) return "<hidden>";
  const redacted = redactUrls(value);
  return JSON.stringify(/_URL$/.test(name) ? redacted.replace(/^.*[^*]@/, "***@") : redacted);
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
      const valid = docs[name]?.valid;
      return `${name}=${shownValue(name, present[name])}: ${issue.message}${valid ? ` (valid: ${valid})` : ""}`;
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
    redisWaitReplicas: e.CREDVEND_REDIS_WAIT_REPLICAS,
    configFile: e.CREDVEND_CONFIG,
    configKvBucket: e.CREDVEND_CONFIG_KV_BUCKET,
    replyKeyId: e.CREDVEND_REPLY_KEY_ID,
    sealingKeyFile: e.CREDVEND_SEALING_KEY_FILE,
    peerKeyFile: e.CREDVEND_PEER_KEY_FILE,
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
    idempotencyFenceMarginMs: e.CREDVEND_IDEMPOTENCY_FENCE_MARGIN_MS,
    dataKeyCacheSeconds: e.CREDVEND_DATA_KEY_CACHE_SECONDS,
    stsBudgetPerSecond: e.CREDVEND_STS_BUDGET_PER_SECOND,
    stsBudgetBurst: e.CREDVEND_STS_BUDGET_BURST,
    deniedCacheMs: e.CREDVEND_DENIED_CACHE_MS,
    vendorUsesRoleCredentials: e.CREDVEND_VENDOR_ROLE_CREDENTIALS,
    drainTimeoutMs: e.CREDVEND_DRAIN_TIMEOUT_MS,
    auditMode: e.CREDVEND_AUDIT,
    auditTimeoutMs: e.CREDVEND_AUDIT_TIMEOUT_MS,
    auditMaxAgeHours: e.CREDVEND_AUDIT_MAX_AGE_HOURS,
    auditDuplicateWindowMs: e.CREDVEND_AUDIT_DUPLICATE_WINDOW_MS,
    auditRefusalWindowMs: e.CREDVEND_AUDIT_REFUSAL_WINDOW_MS,
    httpPort: e.CREDVEND_HTTP_PORT,
    httpHost: e.CREDVEND_HTTP_HOST,
    logLevel: e.CREDVEND_LOG_LEVEL,
    region: e.AWS_REGION,
  });
}
