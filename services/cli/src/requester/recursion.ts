// credvend must never run itself to find its own AWS identity. Two guards:
// 1. Before any KMS client exists, the profile the SDK would resolve (CREDVEND_AWS_PROFILE, else
//    AWS_PROFILE, else env keys, else "default"), followed through source_profile, is read from
//    the shared config files; a credential_process that runs credvend is refused.
// 2. A marker in this process's environment, which every process the SDK starts inherits: a
//    credvend that finds it was started to resolve credvend's own identity (a wrapper script the
//    first guard could not see through) and refuses at once instead of recursing.
import { CliFailure } from "../args.js";
import type { AwsIdentity } from "./aws-identity.js";

export const RECURSION_MARKER = "CREDVEND_RESOLVING_OWN_IDENTITY";

const FIX = "set CREDVEND_AWS_PROFILE to a profile with the requester's own identity, or CREDVEND_AWS_ACCESS_KEY_ID and CREDVEND_AWS_SECRET_ACCESS_KEY";

export class RecursionError extends CliFailure {}

/** A credential_process command line that runs credvend (any path to it, or its bin script). */
export function runsCredvend(command: string): boolean {
  return command.split(/\s+/).some((word) => /(^|[/\\])credvend(\.js)?["']?$/.test(word.replace(/^["']/, "")));
}

/**
 * The marker as this process found it when it started: a long-running command (serve, exec) sets it
 * itself for the processes the SDK starts, and must not then take its own mark for its parent's.
 */
const inherited = Boolean(process.env[RECURSION_MARKER]);

/** Guard 2: refuse if this process was started by credvend's own credential resolution. */
export function refuseIfNested(startedMarked: boolean = inherited): void {
  if (startedMarked) {
    throw new RecursionError(`credvend was started to find credvend's own AWS identity (a credential_process that runs credvend, perhaps through a script); ${FIX}`);
  }
}

/** Marks this process, so whatever the AWS SDK starts from here knows where it came from. */
export function markResolving(env: NodeJS.ProcessEnv = process.env): void {
  env[RECURSION_MARKER] = "1";
}

/** Guard 1: the profile chain the SDK would follow must not lead to credvend. */
export async function refuseSelfProfile(identity: AwsIdentity, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (identity.kind === "keys") return;
  const profile = identity.kind === "profile" ? identity.profile : env.AWS_PROFILE || (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? undefined : "default");
  if (profile === undefined) return;
  const { parseKnownFiles } = await import("@smithy/core/config");
  const profiles = await parseKnownFiles({ ignoreCache: true });
  const seen = new Set<string>();
  for (let name: string | undefined = profile; name !== undefined && !seen.has(name); ) {
    seen.add(name);
    const entry: Record<string, string | undefined> | undefined = profiles[name];
    if (!entry) return;
    const command = entry.credential_process;
    if (command && runsCredvend(command)) {
      const via = name === profile ? "" : ` (source_profile of '${profile}')`;
      const from = identity.kind === "profile" ? "CREDVEND_AWS_PROFILE" : env.AWS_PROFILE ? "AWS_PROFILE" : "the default profile";
      throw new RecursionError(`credvend's own AWS identity (which decrypts replies) would come from profile '${name}'${via}, chosen by ${from}, whose credential_process runs credvend itself; ${FIX}`);
    }
    name = entry.source_profile;
  }
}
