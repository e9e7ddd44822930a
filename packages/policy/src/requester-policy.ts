// The IAM policy a requester's AWS identity needs to open its replies: kms:Decrypt on the reply
// key, only for data keys whose encryption context names this requester. The context's key names
// are the envelope package's (encryptionContextFor); the caller passes the context it would seal
// to, with literal names or IAM policy variables as values, so this package does not restate them.
import { checkReplyKeyArn, type IamPolicy } from "./worker-policy.js";

/** An IAM policy variable such as ${aws:username} or ${aws:PrincipalTag/credvend:tenant}. */
const POLICY_VARIABLE = /^\$\{aws:[A-Za-z]+(?:\/[\w+=,.@:-]+)?\}$/;
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface RequesterPolicyOptions {
  readonly replyKeyArn: string;
  /** The encryption context replies to this requester are sealed with; values are names or policy variables. */
  readonly encryptionContext: Readonly<Record<string, string>>;
}

export function requesterPolicyFor(options: RequesterPolicyOptions): IamPolicy {
  const replyKeyArn = checkReplyKeyArn(options.replyKeyArn);
  const entries = Object.entries(options.encryptionContext);
  if (entries.length === 0) throw new RangeError("the encryption context is empty: a Decrypt grant without it would open every requester's replies");
  for (const [key, value] of entries) {
    if (!NAME.test(value) && !POLICY_VARIABLE.test(value)) {
      throw new RangeError(`${key} ${JSON.stringify(value)} is neither a name (1-64 of a-z, 0-9, '-', '_') nor an IAM policy variable such as \${aws:username}`);
    }
  }
  // StringEquals on every key: a data key sealed to anyone else (another principal, or the same
  // principal name in another tenant) does not match, and a key missing from the context fails.
  const condition = Object.fromEntries(entries.map(([key, value]) => [`kms:EncryptionContext:${key}`, value]));
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: "OpenOwnCredvendReplies", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [replyKeyArn], Condition: { StringEquals: condition } }],
  };
}
