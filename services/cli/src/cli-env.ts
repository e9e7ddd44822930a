// The CLI's view of the environment, read in one place. Requester commands take identity and
// endpoints from the standard variables: NATS_URL, NATS_USER/NATS_PASSWORD, CREDVEND_TENANT,
// CREDVEND_PRINCIPAL, and the AWS SDK's own (AWS_REGION, AWS_ENDPOINT_URL, credentials).
export interface RequesterEnv {
  readonly natsUrl: string;
  readonly natsUser: string | undefined;
  readonly natsPassword: string | undefined;
  readonly tenant: string | undefined;
  readonly principal: string | undefined;
  readonly region: string | undefined;
  /** CREDVEND_REPLY_KEY_ARN: the workers' reply key; replies sealed under another key are refused. */
  readonly replyKeyArn: string | undefined;
  /**
   * CREDVEND_SEALING_PUBLIC_KEY: the fleet's sealing public key (base64, as workers log it). Set,
   * replies are sealed to a fresh X25519 key per request and opened with no AWS identity at all.
   */
  readonly sealingPublicKey: string | undefined;
  /** CREDVEND_CONFIG: the config file commands use when none is given. */
  readonly configFile: string | undefined;
}

export function requesterEnv(env: NodeJS.ProcessEnv = process.env): RequesterEnv {
  return {
    natsUrl: env.NATS_URL || "nats://127.0.0.1:4222",
    natsUser: env.NATS_USER || undefined,
    natsPassword: env.NATS_PASSWORD || undefined,
    tenant: env.CREDVEND_TENANT || undefined,
    principal: env.CREDVEND_PRINCIPAL || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    replyKeyArn: env.CREDVEND_REPLY_KEY_ARN || undefined,
    sealingPublicKey: env.CREDVEND_SEALING_PUBLIC_KEY || undefined,
    configFile: env.CREDVEND_CONFIG || undefined,
  };
}

export function processEnv(): Readonly<Record<string, string | undefined>> {
  return process.env;
}

/** npm (a script such as `npm start`, or `npx`) started this process: npm sets npm_lifecycle_event. */
export function launchedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_event !== undefined;
}
