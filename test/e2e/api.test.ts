import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Body, eventually, startServer, type TestServer } from "../support/server.js";

const cart = {
  id: "cart",
  name: "Abandoned cart",
  entry: { event: "cart_updated", where: { "properties.total": { $gt: 50 } }, key: "properties.cartId" },
  exit: [{ event: "order_completed", sameKey: true }],
  goal: { event: "order_completed", within: "3d" },
  start: "wait",
  nodes: {
    wait: { edges: [{ to: "push", when: { after: "1s" } }] },
    push: {
      actions: [{ send: { channel: "push", template: "cart-push" } }],
      edges: [
        { to: "done", when: { message: "opened" } },
        { to: "email", when: { after: "2s" } },
      ],
    },
    email: {
      actions: [
        { send: { channel: "email", content: { subject: "Your cart", text: "Hi {{ user.firstName }}" } } },
      ],
    },
    done: {},
  },
};

describe("HTTP API end to end (real SQLite file, real HTTP)", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  it("health and readiness answer without a key; /v1 needs one", async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const anonymous = await fetch(`${server.url}/v1/journeys`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${server.url}/v1/journeys`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
  });

  it("serves an OpenAPI document generated from the request schemas", async () => {
    const { status, body } = await server.api("GET", "/v1/openapi.json");
    assert.equal(status, 200);
    assert.equal(body.openapi, "3.1.0");
    assert.ok(body.paths["/v1/events"].post);
    assert.ok(body.components.schemas.Journey);
  });

  it("rejects an invalid journey on publish with every error and its path, and changes nothing", async () => {
    const broken = {
      ...cart,
      id: "broken",
      nodes: { ...cart.nodes, wait: { edges: [{ to: "nowhere", when: { after: "soon" } }] } },
    };
    assert.equal((await server.api("POST", "/v1/journeys", broken)).status, 400);
    const created = await server.api("POST", "/v1/journeys", {
      ...broken,
      nodes: { ...broken.nodes, wait: { edges: [{ to: "nowhere" }] } },
    });
    assert.equal(created.status, 201);
    const validation = await server.api("POST", "/v1/journeys/broken/validate");
    assert.equal(validation.body.valid, false);
    assert.ok(validation.body.errors.some((e: Body) => e.path === "nodes.wait.edges[0].to"));
    const publish = await server.api("POST", "/v1/journeys/broken/publish");
    assert.equal(publish.status, 400);
    assert.ok(publish.body.error.issues.length >= 2, JSON.stringify(publish.body));
    const after = await server.api("GET", "/v1/journeys/broken");
    assert.equal(after.body.version, 0);
    assert.equal(after.body.status, "draft");
  });

  it("drives the abandoned cart journey: push after the wait, email when not opened", async () => {
    assert.equal(
      (
        await server.api("PUT", "/v1/templates/cart-push", {
          channel: "push",
          content: { title: "Cart", body: "{{ journey.entry.properties.total }} waiting" },
        })
      ).status,
      200,
    );
    assert.equal((await server.api("POST", "/v1/journeys", cart)).status, 201);
    const published = await server.api("POST", "/v1/journeys/cart/publish");
    assert.equal(published.status, 200, JSON.stringify(published.body));
    assert.equal(published.body.version, 1);

    const identify = await server.api("PUT", "/v1/users/ada", {
      attributes: { firstName: "Ada" },
      timezone: "Europe/London",
      channels: { push: { address: "token-ada" }, email: { address: "ada@example.com" } },
    });
    assert.equal(identify.status, 200);
    assert.equal(identify.body.attributes.firstName, "Ada");

    const accepted = await server.api("POST", "/v1/events", {
      userId: "ada",
      name: "cart_updated",
      properties: { cartId: "c1", total: 80 },
    });
    assert.equal(accepted.status, 202);
    assert.equal(accepted.body.accepted, 1);

    const user = await eventually(
      async () => {
        const { body } = await server.api("GET", "/v1/users/ada");
        return body.instances?.[0]?.node === "wait" ? body : undefined;
      },
      5000,
      "user on wait",
    );
    assert.equal(user.instances[0].journeyId, "cart");

    const push = await eventually(
      async () => {
        const { body } = await server.api("GET", "/v1/deliveries?userId=ada&journeyId=cart");
        return body.deliveries.find((d: Body) => d.channel === "push");
      },
      5000,
      "push delivery",
    );
    assert.equal(push.payload.body, "80 waiting");
    assert.equal(push.status, "queued");

    const email = await eventually(
      async () => {
        const { body } = await server.api("GET", "/v1/deliveries?userId=ada");
        return body.deliveries.find((d: Body) => d.channel === "email");
      },
      8000,
      "email delivery",
    );
    assert.equal(email.payload.text, "Hi Ada");
    assert.ok(email.createdAt - push.createdAt >= 2000, "the email waits 2 s after the push, never less");

    const journal = await server.api("GET", "/v1/users/ada/journal");
    const kinds: string[] = journal.body.journal.map((line: Body) => line.kind);
    assert.ok(
      kinds.includes("entered") && kinds.includes("sent") && kinds.includes("exited"),
      kinds.join(","),
    );

    const stats = await server.api("GET", "/v1/journeys/cart/stats");
    const byNode = Object.fromEntries(stats.body.nodes.map((n: Body) => [n.node, n]));
    assert.equal(byNode.push.entered, 1);
    assert.equal(byNode.push.waiting, 0);
    assert.equal(byNode.wait.entered, 1);
    assert.equal(byNode.email.exited, 1);
  });

  it("exits on the exit event with the same key and counts the goal", async () => {
    await server.api("PUT", "/v1/users/bob", { channels: { push: { address: "token-bob" } } });
    await server.api("POST", "/v1/events", {
      events: [
        { userId: "bob", name: "cart_updated", properties: { cartId: "b1", total: 99 } },
        { userId: "bob", name: "order_completed", properties: { cartId: "b1" } },
      ],
    });
    const user = await eventually(
      async () => {
        const { body } = await server.api("GET", "/v1/users/bob");
        return body.history?.length === 1 ? body : undefined;
      },
      5000,
      "bob exited",
    );
    assert.match(user.history[0].exitReason, /exit on order_completed/);
    assert.ok(user.history[0].converted);
  });

  it("deduplicates client event ids: a retried batch is applied once", async () => {
    const batch = {
      events: [
        { id: "evt-dup-1", userId: "carol", name: "cart_updated", properties: { cartId: "x", total: 70 } },
      ],
    };
    const first = await server.api("POST", "/v1/events", batch);
    const second = await server.api("POST", "/v1/events", batch);
    assert.equal(first.body.duplicates, 0);
    assert.equal(second.body.duplicates, 1);
    await eventually(
      async () => (await server.api("GET", "/v1/users/carol")).body.instances?.length === 1,
      5000,
      "carol entered",
    );
    const journal = await server.api("GET", "/v1/users/carol/journal");
    assert.equal(journal.body.journal.filter((l: Body) => l.kind === "entered").length, 1);
  });

  it("pauses and resumes a journey", async () => {
    assert.equal((await server.api("POST", "/v1/journeys/cart/pause")).body.status, "paused");
    await server.api("POST", "/v1/events", {
      userId: "dave",
      name: "cart_updated",
      properties: { cartId: "d1", total: 70 },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await server.api("GET", "/v1/users/dave")).body.instances.length, 0);
    assert.equal((await server.api("POST", "/v1/journeys/cart/resume")).body.status, "active");
  });

  it("simulates a draft over posted events without touching real users", async () => {
    const { status, body } = await server.api("POST", "/v1/journeys/cart/simulate", {
      events: [
        { userId: "sim-1", channels: { push: { address: "t" } } },
        { userId: "sim-1", name: "cart_updated", properties: { cartId: "s", total: 90 } },
      ],
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.nodes.wait, 1);
    assert.equal(body.nodes.push, 1);
    assert.equal((await server.api("GET", "/v1/users/sim-1")).status, 404);
  });

  it("erases a user everywhere", async () => {
    assert.equal((await server.api("DELETE", "/v1/users/ada")).status, 204);
    assert.equal((await server.api("GET", "/v1/users/ada")).status, 404);
    assert.equal((await server.api("GET", "/v1/deliveries?userId=ada")).body.deliveries.length, 0);
    assert.equal((await server.api("GET", "/v1/users/ada/journal")).body.journal.length, 0);
  });
});
