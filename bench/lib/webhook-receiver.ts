import http from "node:http";
import { monotonicMs } from "./clock.js";
import { LatencyHistogram } from "./latency-histogram.js";

/**
 * The local webhook provider of the latency scenario: receives the probes' `send` webhooks
 * (the provider posts `{ ..., "content": { "probe": "<intended send time>" } }`) and records
 * intended send time to received.
 */
export class WebhookReceiver {
  readonly latency = new LatencyHistogram();
  received = 0;
  /** Probes stamped before this monotonic time (warm-up) are counted but not recorded. */
  since = Number.POSITIVE_INFINITY;
  private readonly server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const at = monotonicMs();
      this.received++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { content?: { probe?: unknown } };
        const intended = Number(body.content?.probe);
        if (Number.isFinite(intended) && intended >= this.since) this.latency.recordMs(at - intended);
      } catch {
        // Not a probe: still answered 200, like any receiver that ignores what it does not know.
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"ok":true}');
    });
  });

  /** Listens on a free port of 127.0.0.1; resolves with the URL to configure. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    return `http://127.0.0.1:${port}/hooks/journeys`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
