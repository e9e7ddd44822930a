// The identity-provider keys a federated role session keeps for its later calls. The trust policy
// of AssumeRoleWithSAML / AssumeRoleWithWebIdentity sees many more (saml:aud, saml:iss, saml:doc,
// <provider>:aud, <provider>:amr, …); AWS documents only these for the session's own permission
// policies, so only these are kept: a key AWS does not set must stay absent here too, else an Allow
// naming it would grant what AWS refuses. The session record stays small: a few short strings,
// never the token or the assertion.

/**
 * IAM User Guide, "IAM and AWS STS condition context keys" > "SAML role permissions policies":
 * "In the permissions policy of a role for SAML federation … you can include the following keys:
 * saml:namequalifier, saml:sub, saml:sub_type" (also "About SAML 2.0-based federation" >
 * "Uniquely identifying users in SAML-based federation", whose example policy uses all three).
 */
export function samlSessionKeys(nameQualifier: string, subject: string, subjectType: string): Readonly<Record<string, string>> {
  return { "saml:namequalifier": nameQualifier, "saml:sub": subject, "saml:sub_type": subjectType };
}

/**
 * IAM User Guide, "Identifying users with web identity federation": permission policies name the
 * user with the provider's sub key; "For OIDC providers, use the fully qualified URL of the OIDC
 * provider with the sub context key" (`server.example.com:sub`). That is the only provider key the
 * guide shows outside a trust policy (`:aud`, `:amr` appear only in trust policies), and aws-local
 * emulates OIDC providers only (no OAuth 2.0 `www.amazon.com:user_id` / `graph.facebook.com:id`).
 */
export function webIdentitySessionKeys(providerHostPath: string, subject: string): Readonly<Record<string, string>> {
  return { [`${providerHostPath}:sub`]: subject };
}
