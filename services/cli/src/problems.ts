import { formatProblems, loadConfigFile, type CredvendConfig, type LintOptions, type Problem } from "@credvend/policy";
import { CliFailure, requireFile } from "./args.js";

export { formatProblems };

export function errorCount(problems: readonly Problem[]): number {
  return problems.filter((p) => p.severity === "error").length;
}

/** The config is invalid: stderr gets a header line and one line per problem; exit 1. */
export class ConfigInvalid extends CliFailure {
  constructor(file: string, problems: readonly Problem[], note = "") {
    super(`${file}: ${errorCount(problems)} error(s)${note}:\n${formatProblems(problems)}`);
  }
}

export interface LoadedConfig {
  readonly config: CredvendConfig;
  readonly warnings: readonly Problem[];
}

/** Loads a config file a user named, or throws a CliFailure / ConfigInvalid that says what to fix. */
export function loadConfig(file: string, what: string, lint: LintOptions = {}): LoadedConfig {
  requireFile(file, what);
  const result = loadConfigFile(file, lint);
  if (!result.ok) throw new ConfigInvalid(file, result.problems);
  return { config: result.config, warnings: result.warnings };
}
