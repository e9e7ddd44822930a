// lintConfig: every check credvend runs on a schema-valid config. A config with any error is
// refused by workers; warnings are printed by `templates lint` but do not block loading.
import type { CredvendConfig } from "./schema.js";
import type { Problem } from "./problems.js";
import { lintTemplate, type LintOptions } from "./lint-template.js";
import { lintAccess } from "./lint-access.js";

export type { LintOptions } from "./lint-template.js";

export function lintConfig(config: CredvendConfig, options: LintOptions = {}): Problem[] {
  const problems: Problem[] = [];
  for (const [name, tpl] of Object.entries(config.templates)) problems.push(...lintTemplate(name, tpl, options));
  problems.push(...lintAccess(config));
  // Errors first, then by path, so output is stable and the blocking problems come first.
  return problems.sort((a, b) => (a.severity === b.severity ? a.path.localeCompare(b.path) : a.severity === "error" ? -1 : 1));
}
