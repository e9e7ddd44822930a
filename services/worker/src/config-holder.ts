// Holds the live templates-and-access-rules config. A new version replaces the old one only if
// it is valid; otherwise the last good one stays and the refusal is kept for status and logs.
import { formatProblems, loadConfigFile, parseConfig, type ConfigResult, type CredvendConfig, type LintOptions, type Problem } from "@credvend/policy";

export type OfferResult = { accepted: true } | { accepted: false; problems: readonly Problem[] };

export interface ConfigStatus {
  readonly source: string;
  readonly version: string;
  readonly loadedAt: number;
  readonly lastRefusal?: { readonly at: number; readonly version: string; readonly problems: readonly Problem[] };
  /**
   * Why new versions can not be followed right now (e.g. the NATS KV bucket is gone), while the
   * version above is still served: /readyz lists it as a warning, `credvend status` can show it.
   */
  readonly sourceProblem?: string;
}

export class ConfigRefusedError extends Error {
  override readonly name = "ConfigRefusedError";
  constructor(readonly source: string, readonly problems: readonly Problem[]) {
    super(`config from ${source} has ${problems.filter((p) => p.severity === "error").length} error(s):\n${formatProblems(problems)}`);
  }
}

// Kept here too so existing importers of the worker's formatter keep working; policy owns it.
export { formatProblems };

export class ConfigHolder {
  private config: CredvendConfig;
  private state: ConfigStatus;

  constructor(initial: CredvendConfig, source: string, version: string, private readonly lint: LintOptions = {}) {
    this.config = initial;
    this.state = { source, version, loadedAt: Date.now() };
  }

  static fromFile(path: string, lint: LintOptions = {}): ConfigHolder {
    const result = loadConfigFile(path, lint);
    if (!result.ok) throw new ConfigRefusedError(path, result.problems);
    return new ConfigHolder(result.config, path, "file:1", lint);
  }

  static fromText(text: string, source: string, version: string, lint: LintOptions = {}): ConfigHolder {
    const result = parseConfig(text, { ...lint, source });
    if (!result.ok) throw new ConfigRefusedError(source, result.problems);
    return new ConfigHolder(result.config, source, version, lint);
  }

  current(): CredvendConfig {
    return this.config;
  }

  status(): ConfigStatus {
    return this.state;
  }

  /** Sets (or, with undefined, clears) the reason new versions can not be followed; the config in use stays. */
  setSourceProblem(problem: string | undefined): void {
    const { sourceProblem: _old, ...rest } = this.state;
    this.state = problem === undefined ? rest : { ...rest, sourceProblem: problem };
  }

  /** Swaps to `text` if valid; returns the problems when refused (the old config stays). */
  offer(text: string, version: string): OfferResult {
    return this.accept(parseConfig(text, { ...this.lint, source: `${this.state.source}@${version}` }), version);
  }

  /** Re-reads the file this holder was loaded from (SIGHUP in file mode). */
  reloadFile(): OfferResult {
    const version = `file:${Number(this.state.version.split(":")[1] ?? 0) + 1}`;
    return this.accept(loadConfigFile(this.state.source, this.lint), version);
  }

  private accept(result: ConfigResult, version: string): OfferResult {
    if (!result.ok) {
      this.state = { ...this.state, lastRefusal: { at: Date.now(), version, problems: result.problems } };
      return { accepted: false, problems: result.problems };
    }
    this.config = result.config;
    // A problem with the source is not cleared by a new version: only the follower knows it is fixed.
    this.state = { source: this.state.source, version, loadedAt: Date.now(), ...(this.state.sourceProblem ? { sourceProblem: this.state.sourceProblem } : {}) };
    return { accepted: true };
  }
}
