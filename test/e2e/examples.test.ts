import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../support/manual-clock.js";
import { type Body, eventually, startServer, type TestServer } from "../support/server.js";

/**
 * Every example journey, loaded over HTTP into a real server on a real SQLite file and driven
 * by events; hours and days of waiting pass on a virtual clock that the timer service reads.
 */

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const json = (path: string): Body => JSON.parse(readFileSync(path, "utf8"));

describe("example journeys end to end over HTTP", () => {
  let server: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0)); // a Monday, 10:00 UTC

  /**
   * Moves time forward as a real clock would: to each timer's due moment in turn (so every wait
   * fires on time), processing what it causes before going on.
   */
  async function passTime(ms: number): Promise<void> {
    const target = clock.now() + ms;
    for (;;) {
      const [next] = await server.running.engine.store.dueTimers(target, 1);
      if (!next) break;
      clock.advance(Math.max(0, next.due - clock.now()));
      await server.running.engine.timers.poke();
      await settle();
    }
    clock.advance(target - clock.now());
    await server.running.engine.timers.poke();
    await settle();
  }
  async function hasDue(): Promise<boolean> {
    return (await server.running.engine.store.dueTimers(clock.now(), 1)).length > 0;
  }
  /** Waits until the executor has consumed everything appended. */
  async function settle(): Promise<void> {
    const engine = server.running.engine;
    await eventually(
      async () => {
        for (let p = 0; p < engine.partitions; p++)
          if ((await engine.log.end(p)) > engine.executor.consumed(p)) return false;
        return !(await hasDue());
      },
      5000,
      "executor idle",
    );
  }
  async function user(id: string): Promise<Body> {
    return (await server.api("GET", `/v1/users/${id}`)).body;
  }
  async function deliveries(id: string): Promise<Body[]> {
    return (await server.api("GET", `/v1/deliveries?userId=${id}`)).body.deliveries;
  }
  async function send(userId: string, name: string, properties: Body = {}): Promise<void> {
    assert.equal((await server.api("POST", "/v1/events", { userId, name, properties })).status, 202);
    await settle();
  }

  before(async () => {
    server = await startServer(undefined, { engine: { clock, delivery: false, segmentRefreshMs: 0 } });
    for (const file of readdirSync(join(EXAMPLES, "templates"))) {
      const { id, ...template } = json(join(EXAMPLES, "templates", file));
      const put = await server.api("PUT", `/v1/templates/${id}`, template);
      assert.equal(put.status, 200, `${file}: ${JSON.stringify(put.body)}`);
    }
    for (const file of readdirSync(join(EXAMPLES, "segments"))) {
      const { id, ...segment } = json(join(EXAMPLES, "segments", file));
      assert.equal((await server.api("PUT", `/v1/segments/${id}`, segment)).status, 200);
    }
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith(".json"))) {
      const journey = json(join(EXAMPLES, file));
      assert.equal((await server.api("POST", "/v1/journeys", journey)).status, 201, file);
      const published = await server.api("POST", `/v1/journeys/${journey.id}/publish`);
      assert.equal(published.status, 200, `${file}: ${JSON.stringify(published.body)}`);
    }
    await server.api("PUT", "/v1/providers/hook", {
      type: "webhook",
      config: { url: "https://hooks.example/journeys" },
    });
  });

  after(async () => {
    await server.close();
  });

  it("abandoned cart: push after 30 min, email 2 h later when the push is not opened", async () => {
    await server.api("PUT", "/v1/users/shopper", {
      attributes: { firstName: "Ada" },
      channels: { push: { address: "tok" }, email: { address: "ada@example.com" } },
    });
    await send("shopper", "cart_updated", { cartId: "c1", total: 120, itemCount: 2 });
    assert.equal((await user("shopper")).instances[0].node, "wait");
    await passTime(29 * 60_000);
    assert.equal((await deliveries("shopper")).length, 0, "nothing before 30 minutes");
    await passTime(60_000);
    assert.deepEqual(
      (await deliveries("shopper")).map((d: Body) => d.channel),
      ["push"],
    );
    await passTime(2 * HOUR);
    const sent = await deliveries("shopper");
    assert.deepEqual(sent.map((d: Body) => d.channel).sort(), ["email", "push"]);
    assert.equal((await user("shopper")).history[0].exitReason, "completed at email");
  });

  it("abandoned cart: opening the push ends the journey on the opened branch", async () => {
    await server.api("PUT", "/v1/users/opener", {
      channels: { push: { address: "tok2" }, email: { address: "o@example.com" } },
    });
    await send("opener", "cart_updated", { cartId: "c2", total: 80 });
    await passTime(30 * 60_000);
    const push = (await deliveries("opener"))[0];
    const provider = await server.api("GET", "/v1/providers/hook");
    const receipt = await fetch(`${server.url}${provider.body.callbackUrl}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ idempotencyKey: push.idempotencyKey, status: "opened" }),
    });
    assert.equal(receipt.status, 200);
    await settle();
    assert.equal((await user("opener")).history[0].node, "done");
    await passTime(3 * HOUR);
    assert.equal((await deliveries("opener")).length, 1, "no email after an open");
  });

  it("abandoned cart: buying that cart exits and counts the conversion", async () => {
    await server.api("PUT", "/v1/users/buyer", { channels: { push: { address: "tok3" } } });
    await send("buyer", "cart_updated", { cartId: "c3", total: 99 });
    await passTime(10 * 60_000);
    await send("buyer", "order_completed", { cartId: "c3" });
    const history = (await user("buyer")).history[0];
    assert.match(history.exitReason, /order_completed/);
    assert.ok(history.converted);
    const stats = (await server.api("GET", "/v1/journeys/abandoned-cart/stats")).body;
    assert.ok(stats.nodes.some((n: Body) => n.converted >= 1));
  });

  it("onboarding drip: messages at 09:00 in the user's timezone over the first week", async () => {
    await server.api("PUT", "/v1/users/newbie", {
      timezone: "Asia/Tokyo",
      attributes: { firstName: "Kenji" },
      channels: { email: { address: "k@example.com" }, push: { address: "tok4" } },
    });
    await send("newbie", "signup");
    for (let day = 0; day < 9; day++) await passTime(DAY);
    const sent = await deliveries("newbie");
    assert.ok(sent.length >= 3, `${sent.length} messages`);
    for (const d of sent) {
      const local = new Date(d.createdAt + 9 * HOUR); // Tokyo is UTC+9, no DST
      assert.equal(
        `${local.getUTCHours()}:${local.getUTCMinutes()}`,
        "9:0",
        `sent at ${new Date(d.createdAt).toISOString()}`,
      );
    }
  });

  it("club welcome: WhatsApp at once, then gold members get an SMS and others an email after 2 h", async () => {
    await server.api("PUT", "/v1/users/gold", {
      attributes: { tier: "gold", firstName: "Grace" },
      channels: { whatsapp: { address: "+15550000001" }, sms: { address: "+15550000001" } },
    });
    await server.api("PUT", "/v1/users/std", {
      attributes: { tier: "basic" },
      channels: { whatsapp: { address: "+15550000002" }, email: { address: "s@example.com" } },
    });
    await send("gold", "membership_started", { membershipId: "m1" });
    await send("std", "membership_started", { membershipId: "m2" });
    assert.deepEqual(
      (await deliveries("gold")).map((d: Body) => d.channel),
      ["whatsapp"],
    );
    await passTime(2 * HOUR);
    assert.deepEqual((await deliveries("gold")).map((d: Body) => d.channel).sort(), ["sms", "whatsapp"]);
    assert.deepEqual((await deliveries("std")).map((d: Body) => d.channel).sort(), ["email", "whatsapp"]);
    assert.equal((await user("gold")).attributes.perksIntroduced, true);
  });

  it("win-back: customers who lapse enter, split 50/50 between push and email", async () => {
    const customers = Array.from({ length: 40 }, (_, i) => `customer-${i}`);
    for (const id of customers) {
      await server.api("PUT", `/v1/users/${id}`, {
        channels: { push: { address: `t-${id}` }, email: { address: `${id}@example.com` } },
      });
    }
    assert.equal(
      (
        await server.api("POST", "/v1/events", {
          events: customers.map((userId) => ({ userId, name: "order_completed" })),
        })
      ).status,
      202,
    );
    await settle();
    await passTime(61 * DAY);
    await server.running.engine.refreshSegments();
    await settle();
    const variants = new Map<string, number>();
    for (const id of customers) {
      const u = await user(id);
      assert.ok(
        u.history.some((h: Body) => h.journeyId === "win-back"),
        `${id} entered win-back`,
      );
      const variant = u.attributes.winbackVariant as string;
      variants.set(variant, (variants.get(variant) ?? 0) + 1);
    }
    assert.ok(
      (variants.get("push") ?? 0) >= 10 && (variants.get("email") ?? 0) >= 10,
      JSON.stringify([...variants]),
    );
  });
});
