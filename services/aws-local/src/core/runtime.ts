// Everything one running aws-local holds, built once by startAwsLocal and passed to the endpoints.
import type { IamDeps } from "../iam-api/operations.js";
import type { KmsService } from "../kms/service.js";
import type { StsDeps } from "../sts/common.js";
import type { AdminRefusal } from "../admin/guard.js";
import type { Authenticate } from "./authenticate.js";
import type { CallCounts } from "./call-counts.js";
import type { MovableClock } from "./clock.js";
import type { Faults } from "./faults.js";
import type { SessionStore } from "./sessions.js";
import type { IamWorld } from "./world.js";

export interface Runtime {
  readonly world: IamWorld;
  readonly region: string;
  readonly clock: MovableClock;
  readonly wallNow: () => number;
  readonly sessions: SessionStore;
  readonly authenticate: Authenticate;
  readonly faults: Faults;
  readonly counts: CallCounts;
  readonly kms: KmsService;
  readonly sts: StsDeps;
  readonly iam: IamDeps;
  readonly bodyLimitBytes: number;
  readonly log: (line: string) => void;
  /** Refuses admin requests that are not from a local tool holding this start's admin token. */
  readonly adminGuard: (headers: Readonly<Record<string, string>>, needsToken: boolean) => AdminRefusal;
}

/** The parts of a request the endpoints need, read once by the server. */
export interface IncomingCall {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}
