import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeControl, type FakeMode } from "./fake-control.js";

/** A request as a fake provider sees it. */
export interface FakeRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A reply; an object body is sent as JSON. */
export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | object;
}

/**
 * A fake provider API: a real node:http server on 127.0.0.1 and a free port. Subclasses check
 * each request as the real API would and answer with its real documents; a `hang` mode request
 * is never answered.
 */
export abstract class FakeHttpServer<T> extends FakeControl<T> {
  /** Every request received, valid or not, in order. */
  readonly requests: FakeRequest[] = [];
  private readonly server: Server;
  private origin = "";

  constructor() {
    super();
    this.server = createServer((request, response) => {
      // The mode in force when the request arrives: one whose body ends after the next test's
      // reset still gets the answer its own test set up (a hung request stays hung).
      const mode = this.nextMode();
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const url = new URL(request.url ?? "/", "http://fake");
        const fake: FakeRequest = {
          method: request.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        this.requests.push(fake);
        if (mode.kind === "hang") return;
        let reply: FakeReply;
        try {
          reply = this.handle(fake, mode);
        } catch (error) {
          reply = { status: 500, body: { error: `fake failed: ${String(error)}` } };
        }
        send(response, reply);
      });
    });
  }

  /** The base URL, `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.origin;
  }

  override reset(): this {
    this.requests.length = 0;
    return super.reset();
  }

  /** Starts listening on 127.0.0.1 and a free port. */
  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Stops listening and drops open connections, hanging requests included. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Checks the request as the real API does and answers for `mode` (never `hang`). */
  protected abstract handle(request: FakeRequest, mode: Exclude<FakeMode, { kind: "hang" }>): FakeReply;
}

/** One header's value (first of repeated ones). */
export function header(request: FakeRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The media type of the request without parameters, lowercased. */
export function mediaType(request: FakeRequest): string {
  return (header(request, "content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** The Bearer token of the request, if any. */
export function bearer(request: FakeRequest): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header(request, "authorization") ?? "");
  return match?.[1];
}

function send(response: ServerResponse, reply: FakeReply): void {
  const isJson = typeof reply.body === "object";
  const body = reply.body === undefined ? "" : isJson ? JSON.stringify(reply.body) : String(reply.body);
  const headers: Record<string, string> = {
    ...(body !== ""
      ? { "content-type": isJson ? "application/json; charset=utf-8" : "text/plain; charset=utf-8" }
      : {}),
    ...reply.headers,
  };
  response.writeHead(reply.status, headers);
  response.end(body);
}
