import { DURATION_RANGES } from "@credvend/policy";
import { checkSamlAssertion } from "../federation/saml-check.js";
import { checkWebIdentityToken } from "../federation/web-identity-check.js";
import type { Stage } from "../pipeline/pipeline.js";
import type { Planned, WorkerStageContext } from "../pipeline/types.js";

/**
 * Federation pre-checks: a web identity token or SAML assertion that STS would refuse anyway
 * (wrong issuer or audience, expired, bad signature where the template names a JWKS, a role the
 * assertion does not grant) is refused here, so junk never costs an STS call. A SAML session is
 * shortened to what the assertion allows, as STS would. Other kinds pass through unchanged.
 */
export function federationCheckStage(): Stage<Planned, Planned, WorkerStageContext> {
  return {
    name: "federation-check",
    async run(input, ctx) {
      const { plan } = input;
      if (plan.kind === "web_identity") {
        await checkWebIdentityToken({ template: plan.template, token: plan.webIdentityToken, check: plan.webIdentityCheck, expectedClaims: plan.expectedClaims, nowMs: ctx.now() });
        return input;
      }
      if (plan.kind === "saml") {
        const { maxSessionSeconds } = checkSamlAssertion({ template: plan.template, assertionBase64: plan.samlAssertion, roleArn: plan.roleArn, providerArn: plan.principalArn, expectedClaims: plan.expectedClaims, nowMs: ctx.now() });
        // Below STS's minimum the request would be refused for its duration; STS caps such a session itself.
        if (maxSessionSeconds === undefined || maxSessionSeconds >= plan.durationSeconds || maxSessionSeconds < DURATION_RANGES.saml.min) return input;
        return { ...input, plan: Object.freeze({ ...plan, durationSeconds: maxSessionSeconds }) };
      }
      return input;
    },
  };
}
