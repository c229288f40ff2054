import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  eventually,
  request,
  startServer,
  TEST_KEY,
  type TestServer,
  tempDir,
} from "../../test/support/server.js";
import { explainCommand } from "./explain-command.js";

const reminder = {
  id: "reminder",
  entry: { event: "cart_updated", where: { "properties.total": { $gt: 50 } }, key: "properties.cartId" },
  start: "wait",
  nodes: {
    wait: { edges: [{ to: "push", when: { after: "1h" } }] },
    push: { actions: [{ send: { channel: "push", content: { title: "Your cart", body: "Still there" } } }] },
  },
};

// The wait ends an hour after the run's wall clock: when that is the next day in Paris (a run
// between 23:00 and midnight there), the story names the date too.
const EXPECTED =
  /^Journal of ada \(times in Europe\/Paris\):\n\[\d{4}-\d\d-\d\d\] entered reminder \(cartId c1\) at \d\d:\d\d(:\d\d)? on cart_updated \(total 80 > 50\); waiting until (\d{4}-\d\d-\d\d )?\d\d:\d\d(:\d\d)?\.$/;

describe("journeys explain and GET /v1/users/{id}/journal?format=text", () => {
  const temp = tempDir();
  const db = join(temp.dir, "explain.db");
  let server: TestServer;

  before(async () => {
    server = await startServer(db);
    assert.equal((await server.api("POST", "/v1/journeys", reminder)).status, 201);
    assert.equal((await server.api("POST", "/v1/journeys/reminder/publish")).status, 200);
    await server.api("PUT", "/v1/users/ada", { timezone: "Europe/Paris" });
    await server.api("POST", "/v1/events", {
      userId: "ada",
      name: "cart_updated",
      properties: { cartId: "c1", total: 80 },
    });
    await eventually(async () => {
      const { body } = await server.api("GET", "/v1/users/ada/journal");
      return body.journal.some((line: { kind: string }) => line.kind === "waiting") || undefined;
    });
  });

  after(async () => {
    await server?.close();
    temp.cleanup();
  });

  it("the API answers with the story as text, in the user's timezone", async () => {
    const response = await fetch(`${server.url}/v1/users/ada/journal?format=text`, {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    assert.match(await response.text(), EXPECTED);
  });

  it("the API still answers JSON lines by default, and refuses a bad format or timezone", async () => {
    const json = await server.api("GET", "/v1/users/ada/journal");
    assert.ok(Array.isArray(json.body.journal));
    const format = await server.api("GET", "/v1/users/ada/journal?format=xml");
    assert.equal(format.status, 400);
    assert.equal(format.body.error.path, "query.format");
    const zone = await server.api("GET", "/v1/users/ada/journal?format=text&timezone=Mars/Olympus");
    assert.equal(zone.status, 400);
    assert.equal(zone.body.error.path, "query.timezone");
    const other = await request(server.url, "GET", "/v1/users/ada/journal?format=text&journey=other");
    assert.equal(other.body, "Journal of ada (times in Europe/Paris): nothing recorded.");
  });

  it("explain --url asks a running server", async () => {
    const lines: string[] = [];
    const code = await explainCommand(["ada"], { db, url: server.url, key: TEST_KEY, project: "test" }, (l) =>
      lines.push(l),
    );
    assert.equal(code, 0);
    assert.match(lines.join("\n"), EXPECTED);
  });

  it("explain --db reads the SQLite file, for one journey and in the zone asked for", async () => {
    const lines: string[] = [];
    const code = await explainCommand(["ada", "reminder"], { db, project: "test", timezone: "UTC" }, (l) =>
      lines.push(l),
    );
    assert.equal(code, 0);
    assert.match(
      lines.join("\n"),
      /^Journal of ada \(times in UTC\):\n\[.*\] entered reminder \(cartId c1\)/,
    );
  });

  it("explain says what is wrong instead of guessing", async () => {
    const lines: string[] = [];
    const say = (l: string) => lines.push(l);
    assert.equal(await explainCommand([], { db, project: "test" }, say), 2);
    assert.equal(
      await explainCommand(["ada"], { db: join(temp.dir, "missing.db"), project: "test" }, say),
      1,
    );
    assert.equal(await explainCommand(["ada"], { db, url: server.url, project: "test" }, say), 2);
    assert.equal(await explainCommand(["ada"], { db, project: "test", timezone: "Nowhere/Land" }, say), 2);
    assert.match(lines.join("\n"), /usage: journeys explain USER/);
    assert.match(lines.join("\n"), /no database at/);
    assert.match(lines.join("\n"), /--url needs --key/);
    assert.match(lines.join("\n"), /unknown timezone "Nowhere\/Land"/);
  });
});
