export interface ServerHandle {
  /** Connection URL, e.g. nats://127.0.0.1:4222 or redis://127.0.0.1:6379. */
  url: string;
  port: number;
  /** Stops the server and removes its temp files. Safe to call twice. */
  stop(): Promise<void>;
}
