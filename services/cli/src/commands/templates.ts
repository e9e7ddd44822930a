import { describePlan, loadConfigFile, planRequest, type CredvendConfig } from "@credvend/policy";
import { CredvendError } from "@credvend/protocol";
import { randomUUID } from "node:crypto";
import { parse, parseIntFlag, parseParams, requireFile, UsageError } from "../args.js";
import { errorCount, formatProblems } from "../problems.js";

export const TEMPLATES_USAGE = `usage:
  credvend templates lint FILE [--role-credentials]
      Checks a config file; prints one line per problem (template and path) and exits 1 on errors.
      --role-credentials: the vendor runs on role credentials (durations over 1 hour are errors).
  credvend templates render FILE --template T --tenant A --principal P [--param k=v]... [--duration S] [--on-behalf-of TENANT] [--request-id ID]
      Dry run: prints the exact STS call input a worker would send for this request (built by the same
      function; TokenCode, WebIdentityToken and SAMLAssertion masked), or the error it would get.
      stdout is that one JSON document; the config's warnings go to stderr.`;

// Lint's findings are its output (stdout); a file that can not be read at all is a failure (stderr).
// Render's output is one JSON document (piped to jq, diffed in CI), so its warnings go to `warn`.
function loadOrFail(file: string, out: (line: string) => void, roleCredentials: boolean, warn: (line: string) => void = out): CredvendConfig | undefined {
  requireFile(file, "config file");
  const result = loadConfigFile(file, { vendorUsesRoleCredentials: roleCredentials });
  if (!result.ok) {
    out(`${file}: ${errorCount(result.problems)} error(s)`);
    out(formatProblems(result.problems));
    return undefined;
  }
  if (result.warnings.length > 0) warn(formatProblems(result.warnings));
  return result.config;
}

export async function templatesCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "lint") {
    const { values, positionals } = parse(rest, { "role-credentials": { type: "boolean", default: false } }, 1);
    const file = positionals[0];
    if (!file) throw new UsageError("templates lint needs a FILE");
    const config = loadOrFail(file, out, values["role-credentials"] ?? false);
    if (!config) return 1;
    out(`${file}: ok (${Object.keys(config.templates).length} templates, ${config.access?.length ?? 0} access rules)`);
    return 0;
  }
  if (sub === "render") {
    const { values, positionals } = parse(rest, {
      template: { type: "string" }, tenant: { type: "string" }, principal: { type: "string" },
      param: { type: "string", multiple: true }, duration: { type: "string" }, "on-behalf-of": { type: "string" },
      "request-id": { type: "string" }, "role-credentials": { type: "boolean", default: false },
    }, 1);
    const file = positionals[0];
    if (!file || !values.template || !values.tenant || !values.principal) {
      throw new UsageError("templates render needs FILE, --template, --tenant and --principal");
    }
    const duration = parseIntFlag("duration", values.duration);
    const params = parseParams(values.param);
    const config = loadOrFail(file, out, values["role-credentials"] ?? false, (line) => process.stderr.write(`${line}\n`));
    if (!config) return 1;
    try {
      const plan = planRequest(config, {
        tenant: values.tenant,
        principal: values.principal,
        requestId: values["request-id"] ?? randomUUID(),
        template: values.template,
        params,
        ...(duration ? { durationSeconds: duration } : {}),
        ...(values["on-behalf-of"] ? { onBehalfOf: values["on-behalf-of"] } : {}),
      });
      out(JSON.stringify(describePlan(plan), null, 2));
      return 0;
    } catch (error) {
      if (!(error instanceof CredvendError)) throw error;
      out(JSON.stringify({ error: { code: error.code, reason: error.reason, field: error.field, message: error.message } }, null, 2));
      return 1;
    }
  }
  throw new UsageError(sub ? `unknown subcommand '${sub}'; use lint or render` : "templates needs a subcommand: lint or render");
}
