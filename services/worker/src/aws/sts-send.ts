// Sends the request stsRequest(plan) built, unchanged, with the SDK's own command classes (which
// also checks at compile time that policy's input types are the SDK's). Kinds that need a
// long-term IAM user credential are signed with the template's profile, never the worker's own.
import {
  AssumeRoleCommand, AssumeRoleWithSAMLCommand, AssumeRoleWithWebIdentityCommand, GetFederationTokenCommand,
  GetSessionTokenCommand, STSClient, type Credentials as StsCredentials,
} from "@aws-sdk/client-sts";
import { fromIni } from "@aws-sdk/credential-provider-ini";
import type { StsPlan, StsRequest } from "@credvend/policy";
import { untilAborted } from "@credvend/envelope";
import { IncompleteAwsResponse } from "./classify-aws-error.js";

export interface StsResult {
  readonly credentials: StsCredentials | undefined;
  readonly arn: string;
  readonly sourceIdentity?: string | undefined;
  readonly packedPolicySize?: number | undefined;
}

/**
 * STS clients of the worker: the resolved middleware stack is kept per command class
 * (`cacheMiddleware`), which the SDK does only for calls sent without per-call options, so the
 * caller's signal stops the wait (untilAborted) instead of riding along as `abortSignal`. Each
 * HTTP attempt still ends on its own after `requestTimeout`, so a hung endpoint holds no socket
 * for longer than that.
 */
export const STS_CLIENT_OPTIONS = {
  cacheMiddleware: true,
  requestHandler: { requestTimeout: 30_000, throwOnRequestTimeout: true },
} as const;

/** Credentials with every part STS must return. */
export interface CompleteCredentials {
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
  readonly Expiration: Date;
}

/** What sendStsRequest returns: a success always carries complete credentials. */
export interface SentStsRequest extends Omit<StsResult, "credentials"> {
  readonly credentials: CompleteCredentials;
}

/** A 200 without complete Credentials is an answer that could not be read, not credentials. */
function complete(credentials: StsCredentials | undefined, operation: string): CompleteCredentials {
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = credentials ?? {};
  if (!AccessKeyId || !SecretAccessKey || !SessionToken || !Expiration) {
    throw new IncompleteAwsResponse(`STS answered ${operation} with no complete Credentials`);
  }
  return { AccessKeyId, SecretAccessKey, SessionToken, Expiration };
}

export async function sendStsRequest(sts: STSClient, request: StsRequest, signal: AbortSignal): Promise<SentStsRequest> {
  const result = await send(sts, request, signal);
  return { ...result, credentials: complete(result.credentials, request.operation) };
}

async function send(sts: STSClient, request: StsRequest, signal: AbortSignal): Promise<StsResult> {
  switch (request.operation) {
    case "AssumeRole": {
      const out = await untilAborted(sts.send(new AssumeRoleCommand(request.input)), signal);
      return { credentials: out.Credentials, arn: out.AssumedRoleUser?.Arn ?? "", sourceIdentity: out.SourceIdentity, packedPolicySize: out.PackedPolicySize };
    }
    case "AssumeRoleWithWebIdentity": {
      const out = await untilAborted(sts.send(new AssumeRoleWithWebIdentityCommand(request.input)), signal);
      return { credentials: out.Credentials, arn: out.AssumedRoleUser?.Arn ?? "", sourceIdentity: out.SourceIdentity, packedPolicySize: out.PackedPolicySize };
    }
    case "AssumeRoleWithSAML": {
      const out = await untilAborted(sts.send(new AssumeRoleWithSAMLCommand(request.input)), signal);
      return { credentials: out.Credentials, arn: out.AssumedRoleUser?.Arn ?? "", sourceIdentity: out.SourceIdentity, packedPolicySize: out.PackedPolicySize };
    }
    case "GetSessionToken": {
      const out = await untilAborted(sts.send(new GetSessionTokenCommand(request.input)), signal);
      return { credentials: out.Credentials, arn: "" };
    }
    case "GetFederationToken": {
      const out = await untilAborted(sts.send(new GetFederationTokenCommand(request.input)), signal);
      return { credentials: out.Credentials, arn: out.FederatedUser?.Arn ?? "", packedPolicySize: out.PackedPolicySize };
    }
  }
}

/** Profiles are named in config, so edits through KV reloads add names: keep a bounded few. */
const MAX_PROFILE_CLIENTS = 32;
const profileClients = new WeakMap<STSClient, Map<string, STSClient>>();

/**
 * The client a plan's call is signed with: the worker's own for role kinds; for session_token and
 * federation_token a client on the same endpoint and region whose credentials come from the
 * template's profile (AWS shared config/credentials files, resolved by the SDK).
 */
export function stsClientFor(base: STSClient, plan: StsPlan): STSClient {
  if (plan.kind !== "session_token" && plan.kind !== "federation_token") return base;
  let clients = profileClients.get(base);
  if (clients === undefined) {
    clients = new Map();
    profileClients.set(base, clients);
  }
  let client = clients.get(plan.credentialProfile);
  if (client === undefined) {
    const { region, endpoint } = base.config;
    client = new STSClient({
      region,
      ...(endpoint !== undefined && { endpoint }),
      maxAttempts: base.config.maxAttempts,
      credentials: fromIni({ profile: plan.credentialProfile }),
      ...STS_CLIENT_OPTIONS,
    });
    if (clients.size >= MAX_PROFILE_CLIENTS) {
      const oldest = clients.keys().next().value;
      if (oldest !== undefined) clients.delete(oldest);
    }
    clients.set(plan.credentialProfile, client);
  }
  return client;
}
