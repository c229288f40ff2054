import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { providerAgent } from "./pinned-agent.js";
import { ProviderHttp, statusOutcome } from "./provider-http.js";
import { UrlGuard } from "./url-guard.js";

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe("provider HTTP calls (undici request on a pooled agent)", () => {
  let server: Server;
  let base: string;
  let handle: Handler = (_request, response) => response.end();
  let requests = 0;
  const http = new ProviderHttp({
    dispatcher: providerAgent(true),
    guard: new UrlGuard({ allowPrivateUrls: true, now: Date.now }),
    timeoutMs: 300,
    now: Date.now,
  });

  before(async () => {
    server = createServer((request, response) => {
      requests++;
      handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends method, headers and body, and reads status, headers and body", async () => {
    let seen: { method?: string; url?: string; type?: string; body: string } = { body: "" };
    handle = (request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        seen = { method: request.method, url: request.url, type: request.headers["content-type"], body };
        response.setHeader("X-Message-Id", "m-1");
        response.setHeader("Set-Cookie", ["a=1", "b=2"]);
        response.writeHead(201).end("created");
      });
    };
    const result = await http.call(
      {
        url: `${base}/v1/send?to=x`,
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: '{"a":1}',
      },
      new AbortController().signal,
    );
    assert.ok(result.ok);
    assert.deepEqual(seen, {
      method: "PUT",
      url: "/v1/send?to=x",
      type: "application/json",
      body: '{"a":1}',
    });
    assert.equal(result.reply.status, 201);
    assert.equal(result.reply.text, "created");
    assert.equal(result.reply.headers.get("x-message-id"), "m-1");
    assert.equal(result.reply.headers.get("X-Message-Id"), "m-1", "names are case-insensitive");
    assert.equal(result.reply.headers.get("set-cookie"), "a=1, b=2", "repeated headers are joined");
    assert.equal(result.reply.headers.get("retry-after"), null);
  });

  it("cuts a reply body at 64 KiB and stops reading a body that never ends", async () => {
    handle = (_request, response) => {
      const chunk = "x".repeat(16 * 1024);
      const write = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once("drain", write);
      };
      write();
    };
    const result = await http.call({ url: `${base}/endless` }, new AbortController().signal);
    assert.ok(result.ok, "answered before the 300 ms timeout");
    assert.equal(result.reply.text.length, 64 * 1024);
  });

  it("does not follow a redirect, which is a permanent outcome", async () => {
    handle = (request, response) => {
      if (request.url === "/elsewhere") response.end("followed");
      else response.writeHead(302, { location: `${base}/elsewhere` }).end();
    };
    const before = requests;
    const result = await http.call({ url: `${base}/moved` }, new AbortController().signal);
    assert.ok(result.ok);
    assert.equal(result.reply.status, 302);
    assert.equal(requests - before, 1);
    const outcome = statusOutcome(result.reply, Date.now(), "receiver");
    assert.equal(outcome.status, "permanent");
    assert.match(
      outcome.status === "permanent" ? outcome.error : "",
      /redirect to .*\/elsewhere not followed/,
    );
  });

  it("gives up after the timeout, and when the caller aborts, with a retry", async () => {
    handle = () => {}; // never answers
    const timedOut = await http.call({ url: `${base}/slow` }, new AbortController().signal);
    assert.ok(!timedOut.ok);
    assert.equal(timedOut.outcome.status, "retry");
    assert.match(timedOut.outcome.status === "retry" ? timedOut.outcome.error : "", /within 300 ms/);

    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("dispatcher stopping")), 20);
    const aborted = await http.call({ url: `${base}/slow` }, controller.signal);
    assert.ok(!aborted.ok);
    assert.match(
      aborted.outcome.status === "retry" ? aborted.outcome.error : "",
      /aborted: dispatcher stopping/,
    );

    const before = requests;
    const already = await http.call({ url: `${base}/slow` }, controller.signal);
    assert.ok(!already.ok);
    assert.match(already.outcome.status === "retry" ? already.outcome.error : "", /aborted/);
    assert.equal(requests, before, "an aborted caller sends nothing");
  });

  it("leaves no listener on the caller's signal once a call is over", async () => {
    handle = (_request, response) => response.end("ok");
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) {
      const result = await http.call({ url: `${base}/ok` }, controller.signal);
      assert.ok(result.ok);
    }
    handle = () => {};
    await http.call({ url: `${base}/slow` }, controller.signal);
    assert.equal(getEventListeners(controller.signal, "abort").length, 0);
  });

  it("reports a request the HTTP client refuses to send as permanent", async () => {
    const before = requests;
    const result = await http.call(
      { url: `${base}/x`, headers: { "transfer-encoding": "chunked, gzip" }, body: "{}" },
      new AbortController().signal,
    );
    assert.ok(!result.ok);
    assert.equal(result.outcome.status, "permanent");
    assert.match(
      result.outcome.status === "permanent" ? result.outcome.error : "",
      /cannot call 127\.0\.0\.1/,
    );
    assert.equal(requests, before);
  });
});
