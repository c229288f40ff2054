import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { startServer, TEST_KEY, type TestServer } from "../support/server.js";

/**
 * Bad input on every endpoint: random JSON, malformed JSON, wrong types, oversize bodies, odd
 * path parameters. Never a 5xx, never a crash; a rejected request changes nothing.
 */

const ENDPOINTS: [string, string][] = [
  ["POST", "/v1/events"],
  ["PUT", "/v1/users/{id}"],
  ["GET", "/v1/users/{id}"],
  ["GET", "/v1/users/{id}/journal"],
  ["DELETE", "/v1/users/{id}"],
  ["POST", "/v1/journeys"],
  ["GET", "/v1/journeys/{id}"],
  ["PUT", "/v1/journeys/{id}"],
  ["DELETE", "/v1/journeys/{id}"],
  ["POST", "/v1/journeys/{id}/validate"],
  ["POST", "/v1/journeys/{id}/publish"],
  ["POST", "/v1/journeys/{id}/pause"],
  ["POST", "/v1/journeys/{id}/resume"],
  ["POST", "/v1/journeys/{id}/archive"],
  ["GET", "/v1/journeys/{id}/stats"],
  ["POST", "/v1/journeys/{id}/simulate"],
  ["POST", "/v1/journeys/{id}/enter"],
  ["PUT", "/v1/templates/{id}"],
  ["GET", "/v1/templates/{id}"],
  ["DELETE", "/v1/templates/{id}"],
  ["PUT", "/v1/segments/{id}"],
  ["DELETE", "/v1/segments/{id}"],
  ["PUT", "/v1/providers/{id}"],
  ["GET", "/v1/providers/{id}"],
  ["GET", "/v1/deliveries"],
  ["GET", "/v1/deliveries/{id}"],
  ["POST", "/v1/deliveries/{id}/retry"],
  ["POST", "/v1/deliveries/replay"],
  ["POST", "/v1/callbacks/{id}"],
];

const valid = {
  id: "fuzzed",
  entry: { event: "go" },
  start: "a",
  nodes: { a: { edges: [{ to: "b", when: { after: "1h" } }] }, b: {} },
};

describe("fuzzed bad input on every endpoint", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
    await server.api("POST", "/v1/journeys", valid);
    await server.api("POST", "/v1/journeys/fuzzed/publish");
    await server.api("PUT", "/v1/users/known", { attributes: { a: 1 } });
  });
  after(async () => {
    await server.close();
  });

  async function snapshot(): Promise<string> {
    const parts = await Promise.all(
      [
        "/v1/journeys",
        "/v1/templates",
        "/v1/segments",
        "/v1/providers",
        "/v1/deliveries?limit=1000",
        "/v1/users/known",
        "/v1/journeys/fuzzed/stats",
      ].map(async (path) => JSON.stringify((await server.api("GET", path)).body)),
    );
    return parts.join("\n");
  }

  async function raw(
    method: string,
    path: string,
    body: string | undefined,
    contentType = "application/json",
  ) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_KEY}`,
        ...(body !== undefined ? { "content-type": contentType } : {}),
      },
      body,
    });
    const text = await response.text();
    return { status: response.status, text };
  }

  const pathId = fc.oneof(
    fc.constantFrom(
      "fuzzed",
      "known",
      "missing",
      "1",
      "0",
      "-1",
      "..",
      "%2e%2e",
      "a%00b",
      "x".repeat(600),
      "🙂",
      "a b",
      "a/b",
    ),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.constantFrom("{", "[", "nul", '{"a":}', '"', "{}}", "\u0000", "", "[]", "null", '{"events":null}'),
    fc
      .record({ events: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }) })
      .map((v) => JSON.stringify(v)),
    fc
      .record({
        userId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        name: fc.oneof(fc.string(), fc.boolean()),
      })
      .map((v) => JSON.stringify(v)),
    fc.constant(
      JSON.stringify({ ...valid, nodes: { a: { edges: [{ to: "zzz", when: { after: "nope" } }] } } }),
    ),
  );

  it("never answers 5xx and a rejected request changes nothing", { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        pathId,
        body,
        async ([method, template], id, payload) => {
          const path = template.replace("{id}", id);
          const before = await snapshot();
          const sendsBody = method !== "GET" && method !== "DELETE";
          const response = await raw(method, path, sendsBody ? payload : undefined);
          assert.ok(
            response.status < 500,
            `${method} ${path} ${payload.slice(0, 200)} -> ${response.status} ${response.text.slice(0, 300)}`,
          );
          if (response.status >= 400) {
            const parsed = JSON.parse(response.text);
            assert.equal(typeof parsed.error?.code, "string", response.text);
            assert.equal(await snapshot(), before, `${method} ${path} was rejected but changed state`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("rejects oversize bodies, too many events, wrong media types and bad keys with 4xx", async () => {
    const big = JSON.stringify({
      userId: "u",
      name: "x",
      properties: { blob: "x".repeat(1024 * 1024 + 10) },
    });
    assert.equal((await raw("POST", "/v1/events", big)).status, 413);
    const many = JSON.stringify({ events: Array.from({ length: 1001 }, () => ({ userId: "u", name: "x" })) });
    const tooMany = await raw("POST", "/v1/events", many);
    assert.equal(tooMany.status, 400);
    assert.equal(JSON.parse(tooMany.text).error.path, "events");
    assert.equal((await raw("POST", "/v1/events", "userId=u", "text/plain")).status, 415);
    // Form bodies are for provider callbacks only.
    const form = await raw("POST", "/v1/events", "userId=u&name=x", "application/x-www-form-urlencoded");
    assert.equal(form.status, 415);
    const wrongType = await raw("POST", "/v1/events", JSON.stringify({ userId: 5, name: "x" }));
    assert.equal(wrongType.status, 400);
    assert.equal(JSON.parse(wrongType.text).error.path, "userId");
    const malformed = await raw("POST", "/v1/events", "{");
    assert.equal(malformed.status, 400);
    assert.equal(JSON.parse(malformed.text).error.code, "MALFORMED_JSON");
    const unknownJourney = await raw("POST", "/v1/journeys/nope/publish", undefined);
    assert.equal(unknownJourney.status, 404);
  });
});
