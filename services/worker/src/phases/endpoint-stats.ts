// The NATS service framework times an endpoint's handler, but ours only admits the message and
// returns: the framework's own numbers would say every request took microseconds and none failed.
// nats.js asks the statsHandler for the endpoint's `data` just before it reads the endpoint's
// counters for a $SRV.STATS reply, so the handler writes the observer's real counters into them.
// The fields are those of the micro protocol's endpoint stats (num_requests, num_errors,
// processing_time and average_processing_time in nanoseconds, last_error); if a nats.js version
// ever stops exposing them, nothing is written and the test of $SRV.STATS fails.
import type { Endpoint } from "nats";
import type { Counters } from "./observe.js";

interface EndpointCounters {
  num_requests: number;
  num_errors: number;
  processing_time: number;
  average_processing_time: number;
  last_error?: string | undefined;
}

function countersOf(endpoint: Endpoint): EndpointCounters | undefined {
  const stats: unknown = (endpoint as { stats?: unknown }).stats;
  if (typeof stats !== "object" || stats === null) return undefined;
  const fields = ["num_requests", "num_errors", "processing_time", "average_processing_time"] as const;
  return fields.every((f) => typeof (stats as Record<string, unknown>)[f] === "number") ? (stats as EndpointCounters) : undefined;
}

export function reportEndpointStats(endpoint: Endpoint, c: Counters): void {
  const target = countersOf(endpoint);
  if (!target) return;
  target.num_requests = c.requests;
  target.num_errors = c.failed;
  target.processing_time = Math.round(c.processingNanos);
  target.average_processing_time = c.requests > 0 ? Math.round(c.processingNanos / c.requests) : 0;
  target.last_error = c.lastError;
}
