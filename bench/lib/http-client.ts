import http from "node:http";

/**
 * A minimal keep-alive HTTP/1.1 client on node:http: a fixed pool of sockets to one server,
 * bodies sent as prepared strings, responses read and discarded unless asked for.
 */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    connections: number,
    /** A request unanswered this long fails (a hung server must not hang the benchmark). */
    private readonly timeoutMs = 120_000,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /** POSTs a JSON body; resolves with the status code (and the body when `read`). */
  post(path: string, body: string, read = false): Promise<{ status: number; body: string }> {
    return this.send("POST", path, body, read);
  }

  get(path: string): Promise<{ status: number; body: string }> {
    return this.send("GET", path, undefined, true);
  }

  close(): void {
    this.agent.destroy();
  }

  private send(
    method: string,
    path: string,
    body: string | undefined,
    read: boolean,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${this.apiKey}` };
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(body);
      }
      const request = http.request(
        { host: this.host, port: this.port, method, path, headers, agent: this.agent },
        (response) => {
          const chunks: Buffer[] = [];
          if (read) response.on("data", (chunk: Buffer) => chunks.push(chunk));
          else response.resume();
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              body: read ? Buffer.concat(chunks).toString("utf8") : "",
            }),
          );
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.setTimeout(this.timeoutMs, () =>
        request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)),
      );
      request.end(body);
    });
  }
}

/** GETs a URL without keep-alive (for polling a server that may not be up yet). */
export function probe(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", () => resolve(0));
    request.on("timeout", () => {
      request.destroy();
      resolve(0);
    });
  });
}
