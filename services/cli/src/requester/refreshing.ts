// Credentials held in memory for a long-running consumer (exec's child, a serve sidecar): renewed
// ahead of expiry on a timer, so an SDK that asks is almost never kept waiting, and renewed on
// demand (one renewal for any number of concurrent askers) if the timer has not done it yet. A
// failed renewal keeps the current credentials while they are still valid and tries again soon.
import type { VendedCredentials } from "@credvend/client";

export interface CredentialGetter {
  get(): Promise<VendedCredentials>;
}

/** After a failed renewal, the next try; short, since the credentials are running out. */
const RETRY_MS = 5000;
/** Credentials with less than this left are never handed out (an SDK needs time to use them). */
const MIN_REMAINING_MS = 10_000;

export class RefreshingCredentials {
  private current: VendedCredentials | undefined;
  private pending: Promise<VendedCredentials> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly source: CredentialGetter, private readonly marginMs: number, private readonly onError: (error: unknown) => void = () => undefined) {}

  /** Credentials that are still valid (renewed first when inside the margin). */
  async credentials(): Promise<VendedCredentials> {
    const held = this.current;
    if (held && this.remaining(held) > this.marginMs) return held;
    try {
      return await this.renew();
    } catch (error) {
      if (held && this.remaining(held) > MIN_REMAINING_MS) return held;
      throw error;
    }
  }

  /** True while credentials with time left are held. */
  healthy(): boolean {
    return this.current !== undefined && this.remaining(this.current) > MIN_REMAINING_MS;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private remaining(c: VendedCredentials): number {
    return c.expiration.getTime() - Date.now();
  }

  private renew(): Promise<VendedCredentials> {
    this.pending ??= this.source.get().then((c) => {
      this.current = c;
      this.schedule(Math.max(1000, this.remaining(c) - this.marginMs));
      return c;
    }, (error: unknown) => {
      // Only a renewal is reported here: the first fetch's failure goes to its caller, which
      // reports it once and exits, so a "will retry" line would be two lines and a false promise.
      if (this.current) this.onError(error);
      this.schedule(RETRY_MS);
      throw error;
    }).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.renew().catch(() => undefined);
    }, ms);
    this.timer.unref();
  }
}
