// The KMS encryption context that binds a reply's data key to one requester. A key policy
// conditioned on both `kms:EncryptionContext:credvend:tenant` and `credvend:principal` lets only
// that requester decrypt (principal names are unique only within a tenant).

export const CONTEXT_TENANT = "credvend:tenant";
export const CONTEXT_PRINCIPAL = "credvend:principal";

export interface Recipient {
  readonly tenant: string;
  readonly principal: string;
}

export function encryptionContextFor(recipient: Recipient): Record<string, string> {
  return { [CONTEXT_TENANT]: recipient.tenant, [CONTEXT_PRINCIPAL]: recipient.principal };
}

/** True when the context names exactly this recipient and nothing else. */
export function contextNames(context: Readonly<Record<string, string>>, recipient: Recipient): boolean {
  const keys = Object.keys(context);
  return keys.length === 2 && context[CONTEXT_TENANT] === recipient.tenant && context[CONTEXT_PRINCIPAL] === recipient.principal;
}
