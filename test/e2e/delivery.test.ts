import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FakeWebhook, startFakeWebhook } from "../../src/channels/testing/fake-webhook.js";
import { type Body, eventually, startServer, type TestServer } from "../support/server.js";

process.env.JOURNEYS_ALLOW_PRIVATE_URLS = "1";

/** A journey that sends one push per `go` event (keyed by properties.n) through the project's push provider. */
const pusher = {
  id: "pusher",
  entry: { event: "go", key: "properties.n" },
  start: "push",
  nodes: {
    push: {
      actions: [
        { send: { channel: "push", content: { title: "Hi", body: "n={{ journey.entry.properties.n }}" } } },
      ],
      edges: [
        { to: "opened", when: { message: "opened" } },
        { to: "failed", when: { message: "failed" } },
        { to: "timeout", when: { after: "30s" } },
      ],
    },
    opened: {},
    failed: {},
    timeout: {},
  },
};

async function deliveries(server: TestServer, query = ""): Promise<Body[]> {
  const all: Body[] = [];
  for (let after = 0; ; ) {
    const { body } = await server.api("GET", `/v1/deliveries?limit=1000&after=${after}${query}`);
    all.push(...body.deliveries);
    if (!body.next) return all;
    after = body.next;
  }
}

// Both ways a server can call its providers: on the engine's thread, and in a provider thread.
for (const providerThread of [false, true]) {
  describe(`delivery through a real provider API (local webhook server)${providerThread ? ", providers in their own thread" : ""}`, () => {
    let server: TestServer;
    let hook: FakeWebhook;

    before(async () => {
      hook = await startFakeWebhook({ idempotent: true });
      server = await startServer(undefined, {
        engine: {
          delivery: {
            providerThread,
            backoffMs: 50,
            maxBackoffMs: 200,
            maxAttempts: 4,
            pollMs: 20,
            breaker: { failureThreshold: 3, openMs: 300 },
          },
        },
      });
      const provider = await server.api("PUT", "/v1/providers/hook", {
        type: "webhook",
        channel: "push",
        config: { url: `${hook.url}/push` },
      });
      assert.equal(provider.status, 200, JSON.stringify(provider.body));
      assert.equal((await server.api("POST", "/v1/journeys", pusher)).status, 201);
      assert.equal((await server.api("POST", "/v1/journeys/pusher/publish")).status, 200);
    });

    after(async () => {
      await server.close();
      await hook.close();
    });

    it("delivers each message once, carrying its idempotency key", async () => {
      await server.api("PUT", "/v1/users/u1", { channels: { push: { address: "device-1" } } });
      await server.api("POST", "/v1/events", { userId: "u1", name: "go", properties: { n: 1 } });
      const sent = await eventually(
        async () => (await deliveries(server, "&userId=u1")).find((d) => d.status === "sent"),
        5000,
        "sent",
      );
      assert.equal(hook.count(sent.idempotencyKey), 1);
      // In thread mode the call went through a running provider thread.
      const thread = server.running.engine.providerThread;
      assert.equal(thread !== undefined && thread.running() > 0, providerThread);
      const call = hook.accepted.find((a) => a.key === sent.idempotencyKey);
      assert.ok(call);
      const payload = call.message.body as Body;
      assert.equal(payload.content.body, "n=1");
      assert.equal(payload.userId, "u1");
    });

    it("a provider outage under load: the circuit opens, nothing is lost, each message is sent once after recovery", async () => {
      hook.serverError();
      const users = Array.from({ length: 40 }, (_, i) => `load-${i}`);
      for (const userId of users)
        await server.api("PUT", `/v1/users/${userId}`, { channels: { push: { address: `dev-${userId}` } } });
      await server.api("POST", "/v1/events", {
        events: users.map((userId, i) => ({ userId, name: "go", properties: { n: 100 + i } })),
      });
      const waiting = await eventually(
        async () => {
          const list = (await deliveries(server)).filter((d) => d.userId.startsWith("load-"));
          // Every call that was in flight when the circuit opened has ended: all wait in the queue.
          return list.length === users.length &&
            list.some((d) => /circuit open/.test(d.reason ?? "")) &&
            list.every((d) => d.status === "queued")
            ? list
            : undefined;
        },
        10_000,
        "the circuit to open and the calls in flight to end",
      );
      assert.ok(
        waiting.every((d) => d.attempts < 4),
        JSON.stringify(waiting.map((d) => d.attempts)),
      );
      const requestsDuringOutage = hook.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(hook.requests.length - requestsDuringOutage < 10, "an open circuit lets only probes through");
      hook.ok();
      await eventually(
        async () =>
          (await deliveries(server)).filter((d) => d.userId.startsWith("load-") && d.status === "sent")
            .length === users.length,
        20_000,
        "all sent after recovery",
      );
      for (const d of (await deliveries(server)).filter((x) => x.userId.startsWith("load-")))
        assert.equal(hook.count(d.idempotencyKey), 1);
      assert.deepEqual(hook.duplicates(), []);
    });

    it("dead-letters after the last attempt, then replays", async () => {
      hook.rateLimited(0);
      await server.api("PUT", "/v1/users/dl", { channels: { push: { address: "dev-dl" } } });
      await server.api("POST", "/v1/events", { userId: "dl", name: "go", properties: { n: 500 } });
      const dead = await eventually(
        async () => (await deliveries(server, "&status=dead&userId=dl"))[0],
        15_000,
        "dead letter",
      );
      assert.equal(dead.attempts, 4);
      assert.match(dead.lastError, /429|rate/i);
      // A dead delivery tells the journey its message failed.
      await eventually(
        async () => (await server.api("GET", "/v1/users/dl")).body.history?.[0]?.node === "failed",
        5000,
        "failed branch",
      );
      hook.ok();
      const replay = await server.api("POST", "/v1/deliveries/replay", { journeyId: "pusher" });
      assert.equal(replay.body.replayed, 1);
      await eventually(
        async () => (await server.api("GET", `/v1/deliveries/${dead.id}`)).body.status === "sent",
        5000,
        "replayed and sent",
      );
      assert.equal(hook.count(dead.idempotencyKey), 1);
    });

    it("a permanent error is not retried", async () => {
      hook.permanent(410);
      await server.api("PUT", "/v1/users/gone", { channels: { push: { address: "dev-gone" } } });
      await server.api("POST", "/v1/events", { userId: "gone", name: "go", properties: { n: 600 } });
      const failed = await eventually(
        async () => (await deliveries(server, "&userId=gone&status=failed"))[0],
        5000,
        "failed",
      );
      assert.equal(failed.attempts, 1);
      hook.ok();
    });

    it("an engagement callback drives the journey's opened edge", async () => {
      await server.api("PUT", "/v1/users/eng", { channels: { push: { address: "dev-eng" } } });
      await server.api("POST", "/v1/events", { userId: "eng", name: "go", properties: { n: 700 } });
      const sent = await eventually(
        async () => (await deliveries(server, "&userId=eng&status=sent"))[0],
        5000,
        "sent",
      );
      const provider = await server.api("GET", "/v1/providers/hook");
      const callbackUrl: string = provider.body.callbackUrl;
      assert.match(callbackUrl, /^\/v1\/callbacks\/hook\?project=test&token=/);
      const forged = await fetch(`${server.url}/v1/callbacks/hook?project=test&token=wrong`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ idempotencyKey: sent.idempotencyKey, status: "opened" }),
      });
      assert.equal(forged.status, 401);
      const receipt = await fetch(`${server.url}${callbackUrl}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          { idempotencyKey: sent.idempotencyKey, status: "delivered" },
          { idempotencyKey: sent.idempotencyKey, status: "opened" },
        ]),
      });
      assert.equal(receipt.status, 200);
      const user = await eventually(
        async () => {
          const { body } = await server.api("GET", "/v1/users/eng");
          return body.history?.[0]?.node === "opened" ? body : undefined;
        },
        5000,
        "opened branch",
      );
      assert.equal(user.history[0].journeyId, "pusher");
      assert.equal((await server.api("GET", `/v1/deliveries/${sent.id}`)).body.status, "delivered");
    });

    it("provider secrets are write-only", async () => {
      const put = await server.api("PUT", "/v1/providers/signed", {
        type: "webhook",
        config: { url: `${hook.url}/x`, secret: "a-very-long-secret-value" },
      });
      assert.equal(put.status, 200);
      const got = await server.api("GET", "/v1/providers/signed");
      assert.notEqual(got.body.config.secret, "a-very-long-secret-value");
      const bad = await server.api("PUT", "/v1/providers/bad", {
        type: "twilio",
        config: { accountSid: "nope" },
      });
      assert.equal(bad.status, 400);
      assert.ok(bad.body.error.issues.some((i: Body) => i.path === "config.accountSid"));
    });
  });
}
