// What the STS operations share: their dependencies, authorization against identity policies,
// the MFA check, and minting + remembering a credential set.
import { AwsError, type CallerIdentity, type Clock, type EvaluatePolicies, type PolicyRequest } from "../types.js";
import type { Principal } from "../core/authenticate.js";
import { combinedIdentityDecision, identityDecision } from "../iam/identity-decision.js";
import { newSecretAccessKey, newSessionToken, newTemporaryAccessKeyId } from "../core/ids.js";
import type { IssuedSession, SessionStore } from "../core/sessions.js";
import type { IamWorld } from "../core/world.js";
import { matchTotpStep, totpStep } from "../totp.js";
import type { QueryParams } from "./query-params.js";

export interface StsDeps {
  readonly world: IamWorld;
  readonly sessions: SessionStore;
  readonly clock: Clock;
  readonly evaluate: EvaluatePolicies;
  /** MFA steps already used, per device: AWS refuses a TokenCode the second time. */
  readonly mfaReplay: MfaReplayGuard;
}

export interface MfaReplayGuard {
  /** Records `step` as used for `serial`; false when it was used already (a replay). */
  claim(serial: string, step: number, currentStep: number): boolean;
  /** Forgets every used code (admin reset). */
  clear(): void;
}

/**
 * RFC 6238 section 5.2: a verifier must not accept the same one-time password twice, and AWS does
 * not ("MultiFactorAuthentication failed with invalid MFA one time pass code" on reuse within the
 * 30-second step). Keyed by seeded device serial (only reached after the device was found and the
 * code verified, so bounded by the seed); only steps still inside the ±1 drift window are kept,
 * which also stays correct when tests move the emulated clock backwards.
 */
export function createMfaReplayGuard(): MfaReplayGuard {
  const used = new Map<string, Set<number>>();
  return {
    claim(serial, step, currentStep) {
      const steps = used.get(serial) ?? new Set<number>();
      for (const s of steps) if (Math.abs(s - currentStep) > 1) steps.delete(s);
      if (steps.has(step)) return false;
      steps.add(step);
      used.set(serial, steps);
      return true;
    },
    clear: () => used.clear(),
  };
}

export interface StsCall {
  readonly params: QueryParams;
  readonly principal: Principal;
}

/** An STS operation: returns the XML inside `<OpResult>`; throws AwsError. */
export type StsOperation = (call: StsCall, deps: StsDeps) => string;

export function accessDenied(callerArn: string, action: string, resource: string): AwsError {
  return new AwsError("AccessDenied", `User: ${callerArn} is not authorized to perform: ${action} on resource: ${resource}`, 403);
}

/**
 * Identity-side authorization: the caller's identity policies must allow, and a session policy
 * (if the caller's session has one) must allow too; an explicit Deny in either refuses.
 */
export function identityAllows(
  deps: StsDeps,
  caller: CallerIdentity,
  action: string,
  resource: string,
  context: PolicyRequest["context"] = {},
): boolean {
  const request: PolicyRequest = { action, resource, caller, context };
  // Identity policies limited by the permissions boundary (iam/identity-decision.ts).
  if (combinedIdentityDecision(identityDecision(deps.evaluate, caller, request)) !== "Allow") return false;
  return caller.sessionPolicy === undefined || deps.evaluate([caller.sessionPolicy], request) === "Allow";
}

const MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code.";

/**
 * Checks SerialNumber + TokenCode against the caller's own MFA devices (TOTP on the emulated
 * clock). Returns true when MFA was supplied and valid, false when not supplied; throws otherwise.
 */
export function checkMfa(deps: StsDeps, principal: Principal, serial: string | undefined, code: string | undefined): boolean {
  if (serial === undefined && code === undefined) return false;
  if (serial === undefined || code === undefined) {
    throw new AwsError("AccessDenied", "MultiFactorAuthentication failed: pass SerialNumber and TokenCode together.", 403);
  }
  const device = principal.user?.mfaDevices.find((d) => d.serial === serial);
  const now = deps.clock.now();
  const step = device === undefined ? undefined : matchTotpStep(device.totpSecret, code, now);
  // A replayed code gets the same answer as a wrong one, as in AWS.
  if (device === undefined || step === undefined || !deps.mfaReplay.claim(device.serial, step, totpStep(now))) {
    throw new AwsError("AccessDenied", MFA_FAILED, 403);
  }
  return true;
}

export interface NewSession extends Omit<IssuedSession, "accessKeyId" | "secretAccessKey" | "sessionToken" | "identity" | "issuedAtMs" | "expiresAtMs"> {
  readonly durationSeconds: number;
  /** The identity, minus the access key id that is minted here. */
  readonly identity: Omit<CallerIdentity, "accessKeyId">;
  /** MinimumSessionTokenSize of the request (0: none). */
  readonly minimumSessionTokenSize?: number;
}

export function issueSession(deps: StsDeps, spec: NewSession): IssuedSession {
  const { durationSeconds, identity, minimumSessionTokenSize, ...rest } = spec;
  const accessKeyId = newTemporaryAccessKeyId();
  const issuedAtMs = deps.clock.now();
  const session: IssuedSession = {
    ...rest,
    accessKeyId,
    secretAccessKey: newSecretAccessKey(),
    sessionToken: newSessionToken(minimumSessionTokenSize),
    identity: { ...identity, accessKeyId, tokenIssuedAtMs: issuedAtMs },
    issuedAtMs,
    expiresAtMs: issuedAtMs + durationSeconds * 1000,
  };
  deps.sessions.add(session);
  return session;
}

/** Case-insensitive tag merge: later sources override earlier ones, keeping the later key's case. */
export function mergeTags(...sources: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const byLower = new Map<string, [string, string]>();
  for (const source of sources) for (const [k, v] of Object.entries(source)) byLower.set(k.toLowerCase(), [k, v]);
  return Object.fromEntries(byLower.values());
}
