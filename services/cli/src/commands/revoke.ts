// `credvend revoke`: makes already-issued sessions of a template useless by AWS's own mechanism
// (IAM's "revoke active sessions"): an inline Deny on the template's role, conditioned on
// aws:TokenIssueTime and, for one principal or tenant, on the session tags credvend sets. IAM
// evaluates a session's permissions on every request, so the deny applies to live credentials.
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  IAMServiceException,
  LimitExceededException,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { TAG_PRINCIPAL, TAG_TENANT } from "@credvend/policy";
import { isValidName } from "@credvend/protocol";
import { createHash } from "node:crypto";
import { CliFailure, parse, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { loadConfig } from "../problems.js";
import { notifyWorkers } from "./revoke-notify.js";

export const REVOKE_USAGE = `usage: credvend revoke --template T [--principal P] [--tenant T] [--before TIME]
                       [--config FILE] [--endpoint-url URL] [--no-notify]

Makes sessions already issued for template T useless, the way IAM's "revoke active sessions" does:
writes an inline policy named credvend-revocations on the template's role that denies every action
to sessions issued before TIME (aws:TokenIssueTime; default now, rounded up to the next second).
With --principal and/or --tenant only sessions tagged with that credvend-principal / credvend-tenant
are denied (assume_role templates: credvend tags their sessions). Sessions issued at or after TIME
keep working, so requesters just ask again. Earlier revocations on the role are kept (merged); ones
older than 12 hours, the longest a role session lives, are dropped; other inline policies are never
touched. --config defaults to $CREDVEND_CONFIG.

Then every running worker is told over NATS (NATS_URL, NATS_USER/NATS_PASSWORD: an operator
identity that may publish on credvend.v1.admin.revoked and $SRV.PING) to stop reusing the revoked
sessions (templates with reuse:), and each one $SRV.PING finds must confirm; exit 1 otherwise.
--no-notify skips this (for when no worker runs). A worker that reconnects to NATS forgets all the
sessions it reused, so one that missed the notice never serves a revoked session.

The operator's AWS identity (the SDK's usual credentials: AWS_ACCESS_KEY_ID…, AWS_PROFILE), in the
role's account, needs iam:GetRole, iam:GetRolePolicy and iam:PutRolePolicy on the role. IAM is found at --endpoint-url, else
AWS_ENDPOINT_URL_IAM or AWS_ENDPOINT_URL, else AWS. On AWS a policy change can take a few seconds
to apply everywhere.`;

export const REVOCATION_POLICY_NAME = "credvend-revocations";
/** The longest a role session lives (STS's 12-hour maximum): older revocations deny nothing alive. */
const MAX_ROLE_SESSION_MS = 43_200_000;
const SID_PREFIX = "CredvendRevoke";
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
/** IAM is global: it is signed for the first region of each partition. */
const IAM_SIGNING_REGION: Readonly<Record<string, string>> = { aws: "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1" };
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

interface Scope {
  readonly principal?: string;
  readonly tenant?: string;
}

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string;
  readonly Resource: string;
  readonly Condition: Record<string, Record<string, string>>;
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** One statement per scope: revoking the same scope again moves its time, never back. */
function sidOf(scope: Scope): string {
  if (scope.principal === undefined && scope.tenant === undefined) return `${SID_PREFIX}All`;
  const digest = createHash("sha256").update(JSON.stringify([scope.tenant ?? null, scope.principal ?? null])).digest("hex");
  return `${SID_PREFIX}${digest.slice(0, 16)}`;
}

function conditionOf(scope: Scope, beforeIso: string): Statement["Condition"] {
  const tags: Record<string, string> = {};
  if (scope.principal !== undefined) tags[`aws:PrincipalTag/${TAG_PRINCIPAL}`] = scope.principal;
  if (scope.tenant !== undefined) tags[`aws:PrincipalTag/${TAG_TENANT}`] = scope.tenant;
  return { DateLessThan: { "aws:TokenIssueTime": beforeIso }, ...(Object.keys(tags).length > 0 ? { StringEquals: tags } : {}) };
}

/** The statement's revocation time, when it is one of ours. */
function revokedBeforeMs(s: Statement): number | undefined {
  const iso = s.Sid?.startsWith(SID_PREFIX) ? s.Condition?.["DateLessThan"]?.["aws:TokenIssueTime"] : undefined;
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

interface Merged {
  readonly statements: readonly Statement[];
  readonly statement: Statement;
  readonly dropped: number;
}

function merge(existing: readonly Statement[], scope: Scope, beforeMs: number, nowMs: number): Merged {
  const sid = sidOf(scope);
  const previous = existing.find((s) => s.Sid === sid);
  const previousMs = previous === undefined ? undefined : revokedBeforeMs(previous);
  const effectiveMs = previousMs === undefined ? beforeMs : Math.max(previousMs, beforeMs);
  const statement: Statement = { Sid: sid, Effect: "Deny", Action: "*", Resource: "*", Condition: conditionOf(scope, isoSeconds(effectiveMs)) };
  let dropped = 0;
  const kept = existing.filter((s) => {
    if (s.Sid === sid) return false;
    const ms = revokedBeforeMs(s);
    const stale = ms !== undefined && ms < nowMs - MAX_ROLE_SESSION_MS;
    if (stale) dropped += 1;
    return !stale;
  });
  return { statements: [...kept, statement], statement, dropped };
}

function parseBefore(value: string | undefined, nowMs: number): number {
  // Issue times are compared at whole seconds: round up so a session issued earlier in this second is covered.
  const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;
  if (value === undefined) return ceilSecond(nowMs + 1);
  const ms = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--before ${JSON.stringify(value)} must be an ISO-8601 time with a zone, e.g. 2026-05-01T12:00:00Z`);
  // A future time would also deny sessions issued from now until then: new requests would fail too.
  if (ms > nowMs + 1000) throw new UsageError(`--before ${value} is in the future; it would deny sessions that are not issued yet`);
  if (ms < nowMs - MAX_ROLE_SESSION_MS) throw new UsageError(`--before ${value} is more than 12 hours ago: no role session issued before it is still alive`);
  return ceilSecond(ms);
}

function nameFlag(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && !isValidName(value)) {
    throw new UsageError(`--${flag} ${JSON.stringify(value)} is not a credvend name (a-z, 0-9, '_' and '-', starting with a letter or digit, at most 64)`);
  }
  return value;
}

function parseStatements(encoded: string | undefined): Statement[] {
  // IAM returns the document URL-encoded (RFC 3986).
  const doc = JSON.parse(decodeURIComponent(encoded ?? "")) as { Statement?: Statement | Statement[] };
  const s = doc.Statement;
  return s === undefined ? [] : Array.isArray(s) ? s : [s];
}

/** Turns an IAM failure into one line that says what to fix. */
function iamFailure(error: unknown, action: string, roleArn: string, accountId: string, roleName: string): Error {
  if (error instanceof IAMServiceException && error.name === "AccessDenied") {
    return new CliFailure(
      `IAM refused ${action} on ${roleArn} (AccessDenied): the operator identity lacks ${action} on that role; grant it iam:GetRole, iam:GetRolePolicy and iam:PutRolePolicy there`,
    );
  }
  if (error instanceof NoSuchEntityException) {
    return new CliFailure(`role ${roleName} does not exist in the operator identity's account (the template's role_arn ${roleArn} names account ${accountId})`);
  }
  if (error instanceof LimitExceededException) {
    return new CliFailure(`${roleArn}: its inline policies would pass IAM's 10,240-character limit; delete an inline policy or older revocations (${REVOCATION_POLICY_NAME}) first`);
  }
  if (error instanceof IAMServiceException) return new CliFailure(`IAM refused ${action} on ${roleArn}: ${error.name}`);
  const name = (error as { name?: unknown }).name;
  if (name === "CredentialsProviderError") return new CliFailure("no AWS credentials for the operator identity: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE");
  const code = (error as { code?: unknown }).code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND") return new CliFailure(`IAM is unreachable (${String(code)}): check --endpoint-url / AWS_ENDPOINT_URL_IAM`);
  return error instanceof Error ? error : new Error(String(error));
}

export async function revokeCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, {
    template: { type: "string" },
    principal: { type: "string" },
    tenant: { type: "string" },
    before: { type: "string" },
    config: { type: "string" },
    "endpoint-url": { type: "string" },
    "no-notify": { type: "boolean", default: false },
  });
  const file = values.config ?? requesterEnv().configFile;
  if (!values.template) throw new UsageError("--template is required");
  if (!file) throw new UsageError("--config (or CREDVEND_CONFIG) is required");
  const scope: Scope = {
    ...(values.principal !== undefined ? { principal: nameFlag("principal", values.principal) } : {}),
    ...(values.tenant !== undefined ? { tenant: nameFlag("tenant", values.tenant) } : {}),
  };
  const nowMs = Date.now();
  const beforeMs = parseBefore(values.before, nowMs);
  const { config } = loadConfig(file, values.config ? "--config" : "CREDVEND_CONFIG");
  const name = values.template;
  const template = Object.hasOwn(config.templates, name) ? config.templates[name] : undefined;
  if (template === undefined) throw new CliFailure(`template "${name}" is not in ${file}; it has: ${Object.keys(config.templates).sort().join(", ")}`);
  if (template.role_arn === undefined) {
    throw new CliFailure(
      `template "${name}" is a ${template.kind} template: its credentials are not sessions of a role, so there is no role to put a deny on (for federation and session tokens, deny on the vendor's IAM user instead)`,
    );
  }
  if ((scope.principal !== undefined || scope.tenant !== undefined) && template.kind !== "assume_role") {
    throw new CliFailure(`--principal/--tenant need an assume_role template: credvend tags only those sessions; "${name}" is ${template.kind} (revoke the whole template instead)`);
  }
  const arn = ROLE_ARN.exec(template.role_arn);
  if (arn?.[1] === undefined || arn[2] === undefined || arn[3] === undefined) throw new CliFailure(`template "${name}": role_arn ${template.role_arn} is not an IAM role ARN`);
  const [roleArn, partition, accountId, roleName] = [template.role_arn, arn[1], arn[2], arn[3]];

  const iam = new IAMClient({ region: IAM_SIGNING_REGION[partition] ?? "us-east-1", ...(values["endpoint-url"] ? { endpoint: values["endpoint-url"] } : {}) });
  try {
    // IAM acts on the caller's own account: make sure that is the role the template names (same
    // account and path), not a namesake in the account the operator's credentials belong to.
    let found: string | undefined;
    try {
      found = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn;
    } catch (error) {
      throw iamFailure(error, "iam:GetRole", roleArn, accountId, roleName);
    }
    if (found !== roleArn) {
      throw new CliFailure(`the operator identity's account has ${found ?? "no such role"}, not the template's role ${roleArn}: use credentials of account ${accountId}`);
    }
    let existing: Statement[] = [];
    try {
      const got = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME }));
      existing = parseStatements(got.PolicyDocument);
    } catch (error) {
      // No revocation policy yet (the role exists: GetRole found it).
      if (!(error instanceof NoSuchEntityException)) throw iamFailure(error, "iam:GetRolePolicy", roleArn, accountId, roleName);
    }
    const merged = merge(existing, scope, beforeMs, nowMs);
    const document = JSON.stringify({ Version: "2012-10-17", Statement: merged.statements });
    try {
      await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME, PolicyDocument: document }));
    } catch (error) {
      throw iamFailure(error, "iam:PutRolePolicy", roleArn, accountId, roleName);
    }
    const whose = [scope.principal && `${TAG_PRINCIPAL}=${scope.principal}`, scope.tenant && `${TAG_TENANT}=${scope.tenant}`].filter(Boolean).join(", ");
    const until = merged.statement.Condition["DateLessThan"]?.["aws:TokenIssueTime"] ?? "";
    out(`revoked: sessions of template ${name}${whose ? ` tagged ${whose}` : ""} issued before ${until}`);
    out(`role: ${roleArn}`);
    out(`policy: inline policy ${REVOCATION_POLICY_NAME}, statement ${merged.statement.Sid ?? ""} (Deny * on *); it holds ${merged.statements.length} revocation(s)${merged.dropped > 0 ? `, ${merged.dropped} older than 12 h dropped` : ""}`);
    out(`condition: ${JSON.stringify(merged.statement.Condition)}`);
    if (scope.principal !== undefined && scope.tenant === undefined) out("note: principal names are unique only within a tenant; this covers that principal in every tenant (add --tenant to narrow it)");
    out(`sessions issued at or after ${until} keep working; on AWS the change can take a few seconds to apply`);
    if (!values["no-notify"]) {
      const notice = { template: name, beforeMs: Date.parse(until), ...scope };
      const told = await notifyWorkers(requesterEnv(), notice);
      out(told.workers === 0
        ? "workers: none is running (none answered $SRV.PING); nothing to drop"
        : `workers: ${told.applied} of ${told.workers} stopped reusing the revoked sessions (${told.dropped} cached session(s) dropped)`);
    }
    return 0;
  } finally {
    iam.destroy();
  }
}
