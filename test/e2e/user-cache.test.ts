import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { eventually, startServer, tempDir } from "../support/server.js";

/**
 * A user the executor reads from the store (nothing cached after a restart) keeps that state from
 * one input of a batch to the next, even when the first input changes nothing.
 */
describe("executor user cache", () => {
  const temp = tempDir();
  after(() => temp.cleanup());
  const db = join(temp.dir, "journeys.db");

  it("a user read from the store keeps their profile across a batch whose first input changes nothing", async () => {
    const first = await startServer(db);
    try {
      const journey = {
        id: "vip",
        name: "VIP",
        entry: { event: "buy" },
        audience: { user: { plan: "pro" } },
        start: "wait",
        nodes: { wait: { edges: [{ to: "done", when: { after: "30d" } }] }, done: {} },
      };
      assert.equal((await first.api("POST", "/v1/journeys", journey)).status, 201);
      assert.equal((await first.api("POST", "/v1/journeys/vip/publish")).status, 200);
      assert.equal((await first.api("PUT", "/v1/users/ada", { attributes: { plan: "pro" } })).status, 200);
    } finally {
      await first.close();
    }
    // A new process: nothing cached, Ada is read from the file.
    const second = await startServer(db);
    try {
      const accepted = await second.api("POST", "/v1/events", {
        events: [
          { userId: "ada", name: "page_viewed" },
          { userId: "ada", name: "buy" },
        ],
      });
      assert.equal(accepted.status, 202);
      const user = await eventually(
        async () => {
          const { body } = await second.api("GET", "/v1/users/ada");
          return body.instances?.length > 0 ? body : undefined;
        },
        5000,
        "ada in the journey",
      );
      assert.equal(user.instances[0].journeyId, "vip");
      assert.equal(user.attributes.plan, "pro");
    } finally {
      await second.close();
    }
  });
});
