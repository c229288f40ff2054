import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { JourneysApiError, JourneysClient } from "../src/client/index.js";
import { eventually, startServer, TEST_KEY, type TestServer } from "./support/server.js";

describe("typed client", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  it("batches tracked events in the background and retries failed batches with the same ids", async () => {
    const counter = {
      id: "views",
      entry: { event: "page_view", key: "properties.i" },
      start: "count",
      nodes: { count: { actions: [{ update: { increment: { views: 1 } } }] } },
    };
    assert.equal((await server.api("POST", "/v1/journeys", counter)).status, 201);
    assert.equal((await server.api("POST", "/v1/journeys/views/publish")).status, 200);
    let calls = 0;
    let failures = 2;
    // Fails the first requests as a flaky network would, after the server has accepted them.
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      const response = await fetch(input, init);
      if (String(input).endsWith("/v1/events") && failures-- > 0) return new Response("{}", { status: 503 });
      return response;
    };
    const client = new JourneysClient({
      url: server.url,
      apiKey: TEST_KEY,
      batchSize: 50,
      flushIntervalMs: 10,
      backoffMs: 5,
      fetch: flaky,
    });
    const tracked = Array.from({ length: 120 }, (_, i) =>
      client.track({ userId: `c-${i % 3}`, name: "page_view", properties: { i } }),
    );
    await Promise.all(tracked);
    await client.close();
    assert.ok(calls >= 3 + 2, `batched into ${calls} calls`);
    for (let u = 0; u < 3; u++) {
      await eventually(
        async () => {
          const profile = (await server.api("GET", `/v1/users/c-${u}`)).body;
          return profile?.attributes?.views === 40 ? profile : undefined;
        },
        5000,
        `user c-${u} counted 40 views exactly once each`,
      );
    }
    const journal = await client.journal("c-0");
    assert.ok(journal);
  });

  it("identify, journeys management and typed errors", async () => {
    const client = new JourneysClient({ url: server.url, apiKey: TEST_KEY });
    const profile = (await client.identify("typed", {
      attributes: { plan: "pro" },
      timezone: "Europe/Paris",
    })) as { attributes: { plan: string } };
    assert.equal(profile.attributes.plan, "pro");
    await client.journeys.create({ id: "typed-j", entry: { api: true }, start: "a", nodes: { a: {} } });
    await client.journeys.publish("typed-j");
    await client.journeys.enter("typed-j", "typed");
    await assert.rejects(client.journeys.publish("does-not-exist"), (error: unknown) => {
      assert.ok(error instanceof JourneysApiError);
      assert.equal(error.status, 404);
      return true;
    });
    await assert.rejects(client.identify("typed", { timezone: "Mars/Olympus" }), (error: unknown) => {
      assert.ok(error instanceof JourneysApiError);
      assert.equal(error.path, "timezone");
      return true;
    });
  });
});
