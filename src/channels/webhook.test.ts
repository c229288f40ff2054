import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { createProvider } from "./create-provider.js";
import type { Provider, ProviderOptions } from "./provider.js";
import { type FakeWebhook, startFakeWebhook } from "./testing/fake-webhook.js";
import { testMessage } from "./testing/test-message.js";

const SECRET = "test-webhook-secret-123456";
const options: ProviderOptions = { allowPrivateUrls: true, now: Date.now, timeoutMs: 300 };
const signal = () => new AbortController().signal;

describe("webhook provider", () => {
  let fake: FakeWebhook;
  let provider: Provider;

  before(async () => {
    fake = await startFakeWebhook({ secret: SECRET });
    provider = createProvider(
      {
        id: "hooks",
        type: "webhook",
        config: { url: `${fake.url}/hooks/journeys`, secret: SECRET, headers: { "X-Tenant": "acme" } },
      },
      options,
    );
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  it("posts the documented JSON body, signed, with the idempotency key", async () => {
    const message = testMessage("push", "device-token-1", { title: "Hi", body: "Your cart" });
    const [outcome] = await provider.send([message], signal());
    assert.equal(outcome?.status, "sent");
    assert.equal(fake.count(message.idempotencyKey), 1);
    const call = fake.accepted[0]?.message;
    assert.equal(call?.method, "POST");
    assert.equal(call?.path, "/hooks/journeys");
    assert.equal(call?.headers["x-tenant"], "acme");
    assert.deepEqual(call?.body, {
      idempotencyKey: message.idempotencyKey,
      userId: "user-1",
      journeyId: "journey-1",
      nodeId: "node-1",
      channel: "push",
      address: "device-token-1",
      content: { title: "Hi", body: "Your cart" },
    });
  });

  it("retries a 429 after the Retry-After the receiver asked for", async () => {
    fake.rateLimited(7);
    const [outcome] = await provider.send([testMessage("webhook", undefined, { a: 1 })], signal());
    assert.equal(outcome?.status, "retry");
    assert.equal(outcome?.status === "retry" && outcome.retryAfterMs, 7000);
  });

  it("retries a 5xx", async () => {
    fake.serverError();
    const [outcome] = await provider.send([testMessage("webhook", undefined, {})], signal());
    assert.equal(outcome?.status, "retry");
  });

  it("fails a 4xx permanently, and unsubscribes a user's own endpoint that answers 410", async () => {
    fake.permanent(422);
    const [refused] = await provider.send([testMessage("webhook", undefined, {})], signal());
    assert.deepEqual(refused?.status, "permanent");
    assert.equal(refused?.status === "permanent" && refused.unsubscribe, undefined);
    fake.permanent(410);
    const [gone] = await provider.send([testMessage("webhook", `${fake.url}/users/u1`, {})], signal());
    assert.equal(gone?.status === "permanent" && gone.unsubscribe, true);
  });

  it("retries when the receiver never answers, after the timeout", async () => {
    fake.hang();
    const started = Date.now();
    const [outcome] = await provider.send([testMessage("webhook", undefined, {})], signal());
    assert.equal(outcome?.status, "retry");
    assert.match(outcome?.status === "retry" ? outcome.error : "", /within 300 ms/);
    assert.ok(Date.now() - started < 2000);
  });

  it("retries when the dispatcher aborts the send", async () => {
    fake.hang();
    const controller = new AbortController();
    const pending = provider.send([testMessage("webhook", undefined, {})], controller.signal);
    setTimeout(() => controller.abort(new Error("dispatcher stopping")), 20);
    const [outcome] = await pending;
    assert.equal(outcome?.status, "retry");
    assert.match(outcome?.status === "retry" ? outcome.error : "", /aborted: dispatcher stopping/);
  });

  it("is refused by a receiver that checks signatures when the secret differs", async () => {
    const wrong = createProvider(
      {
        id: "wrong",
        type: "webhook",
        config: { url: `${fake.url}/hooks/journeys`, secret: "another-secret-0123456789" },
      },
      options,
    );
    const message = testMessage("webhook", undefined, {});
    const [outcome] = await wrong.send([message], signal());
    assert.match(outcome?.status === "permanent" ? outcome.error : "", /401/);
    // By its key: a request an earlier test abandoned (hang, abort) may still reach the receiver
    // after the reset, and be accepted then (a CI run saw one).
    assert.equal(fake.count(message.idempotencyKey), 0);
  });

  it("performs a webhook action: its URL, method, headers and body, with the key and no configured headers", async () => {
    const message = testMessage("webhook", undefined, {
      url: `${fake.url}/orders/42`,
      method: "put",
      headers: { "X-Order": "42", Host: "evil.example" },
      body: { status: "reminded" },
    });
    const [outcome] = await provider.send([message], signal());
    assert.equal(outcome?.status, "sent");
    const call = fake.accepted.find((a) => a.key === message.idempotencyKey)?.message;
    assert.equal(call?.method, "PUT");
    assert.equal(call?.path, "/orders/42");
    assert.equal(call?.headers["x-order"], "42");
    assert.equal(call?.headers["x-tenant"], undefined);
    assert.equal(call?.headers["idempotency-key"], message.idempotencyKey);
    assert.match(String(call?.headers.host), /^127\.0\.0\.1:/);
    assert.deepEqual(call?.body, { status: "reminded" });
  });

  it("refuses private targets when private URLs are not allowed, naming the reason", async () => {
    const strict = createProvider(
      { id: "strict", type: "webhook", config: {} },
      { ...options, allowPrivateUrls: false },
    );
    const [outcome] = await strict.send(
      [testMessage("webhook", undefined, { url: "http://169.254.169.254/latest/meta-data" })],
      signal(),
    );
    assert.equal(outcome?.status, "permanent");
    assert.match(outcome?.status === "permanent" ? outcome.error : "", /link-local/);
    assert.equal(fake.requests.length, 0);
  });

  it("does not follow redirects", async () => {
    const server = createServer((_request, response) => {
      response.writeHead(302, { location: "http://169.254.169.254/" }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const [outcome] = await provider.send(
      [testMessage("webhook", undefined, { url: `http://127.0.0.1:${port}/r`, method: "POST" })],
      signal(),
    );
    server.close();
    assert.equal(outcome?.status, "permanent");
    assert.match(outcome?.status === "permanent" ? outcome.error : "", /redirect/);
  });

  it("retries a refused connection", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const closed = createProvider(
      { id: "closed", type: "webhook", config: { url: `http://127.0.0.1:${port}/` } },
      options,
    );
    const [outcome] = await closed.send([testMessage("email", "a@b.c", {})], signal());
    assert.equal(outcome?.status, "retry");
    assert.match(outcome?.status === "retry" ? outcome.error : "", /ECONNREFUSED/);
  });
});
