import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ManualClock } from "../support/manual-clock.js";
import { eventually, startServer, type TestServer } from "../support/server.js";

/**
 * Journey stats' waiting counts are kept by the commits (schema 4), not counted from the
 * instances: through the whole server they must follow users into a node, out of it, and out of
 * the store when erased.
 */
describe("journey stats: users waiting at each node", () => {
  let server: TestServer | undefined;
  after(async () => server?.close());

  const journey = {
    id: "trial",
    name: "Trial",
    entry: { event: "trial_started" },
    start: "wait",
    nodes: {
      wait: { edges: [{ to: "nudge", when: { event: "viewed_pricing" } }] },
      nudge: { edges: [{ to: "done", when: { event: "bought" } }] },
      done: {},
    },
  };

  async function waiting(s: TestServer): Promise<{ [node: string]: number }> {
    const { status, body } = await s.api("GET", "/v1/journeys/trial/stats");
    assert.equal(status, 200);
    return Object.fromEntries(
      (body.nodes as { node: string; waiting: number }[]).map((n) => [n.node, n.waiting]),
    );
  }

  async function send(s: TestServer, events: { userId: string; name: string }[]): Promise<void> {
    assert.equal((await s.api("POST", "/v1/events", { events })).status, 202);
  }

  it("follow users in, along, out, and out of the store", async () => {
    server = await startServer();
    const s = server;
    assert.equal((await s.api("POST", "/v1/journeys", journey)).status, 201);
    assert.equal((await s.api("POST", "/v1/journeys/trial/publish")).status, 200);
    await send(
      s,
      ["ada", "bo", "cy", "di"].map((userId) => ({ userId, name: "trial_started" })),
    );
    const expect = async (counts: { [node: string]: number }, what: string): Promise<void> => {
      await eventually(
        async () => {
          const now = await waiting(s);
          return Object.entries(counts).every(([node, n]) => now[node] === n) ? now : undefined;
        },
        5000,
        what,
      );
      assert.deepEqual(await waiting(s), counts);
    };
    await expect({ wait: 4, nudge: 0, done: 0 }, "four users waiting");
    await send(s, [
      { userId: "ada", name: "viewed_pricing" },
      { userId: "bo", name: "viewed_pricing" },
      { userId: "bo", name: "bought" },
    ]);
    // Ada moved on and waits at nudge; Bo went through to the end, where nobody waits.
    await expect({ wait: 2, nudge: 1, done: 0 }, "ada at nudge, bo done");
    assert.equal((await s.api("DELETE", "/v1/users/cy")).status, 204);
    assert.equal((await s.api("DELETE", "/v1/users/bo")).status, 204);
    await expect({ wait: 1, nudge: 1, done: 0 }, "cy erased");
  });

  it("no batch starts while an erasure holds the executor", async () => {
    const s = server as TestServer;
    const engine = s.running.engine;
    const partition = engine.partitionOf("test", "di");
    const before = engine.executor.consumed(partition);
    await engine.executor.exclusive(async () => {
      await send(s, [{ userId: "di", name: "viewed_pricing" }]);
      // Appended, but the executor must not take it while held (a batch could write back a user
      // the erasure in here removes).
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(engine.executor.consumed(partition), before);
    });
    await eventually(
      async () => engine.executor.consumed(partition) > before,
      5000,
      "the input taken once released",
    );
    assert.deepEqual(await waiting(s), { wait: 0, nudge: 2, done: 0 });
  });
});

describe("executor: a batch that fails partway", () => {
  it("is retried whole: its due timer is given back, its input taken again, the counts kept", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 10, 0));
    const server = await startServer(undefined, { engine: { clock, delivery: false, segmentRefreshMs: 0 } });
    try {
      const nap = {
        id: "nap",
        name: "Nap",
        entry: { event: "nap_started" },
        start: "wait",
        nodes: { wait: { edges: [{ to: "done", when: { after: "1h" } }] }, done: {} },
      };
      assert.equal((await server.api("POST", "/v1/journeys", nap)).status, 201);
      assert.equal((await server.api("POST", "/v1/journeys/nap/publish")).status, 200);
      const engine = server.running.engine;
      const waiting = async (): Promise<number | undefined> => {
        const { body } = await server.api("GET", "/v1/journeys/nap/stats");
        return (body.nodes as { node: string; waiting: number }[]).find((n) => n.node === "wait")?.waiting;
      };
      const started = (userId: string) => ({ events: [{ userId, name: "nap_started" }] });
      assert.equal((await server.api("POST", "/v1/events", started("ada"))).status, 202);
      await eventually(async () => (await waiting()) === 1, 5000, "ada waiting");
      // Reads of users from the store fail once when armed.
      const loadUsers = engine.store.loadUsers.bind(engine.store);
      let failing = false;
      let failures = 0;
      engine.store.loadUsers = async (project, userIds) => {
        if (failing) {
          failing = false;
          failures++;
          throw new Error("disk hiccup");
        }
        return loadUsers(project, userIds);
      };
      // Half an hour later, a batch holding Bo's entry fails: the entry is taken again.
      clock.advance(1_800_000);
      failing = true;
      assert.equal((await server.api("POST", "/v1/events", started("bo"))).status, 202);
      await eventually(async () => (await waiting()) === 2, 5000, "bo entered after the failure");
      // A batch holding Ada's due timer fails after the timer was taken from the timer service:
      // it is given back and fires on the retry, not at the service's next reload (30 s).
      failing = true;
      clock.advance(1_800_001);
      await engine.timers.poke();
      await eventually(
        async () => (await engine.store.dueTimers(clock.now(), 1)).length === 0 && (await waiting()) === 1,
        5000,
        "ada's timer fired after the failure",
      );
      assert.equal(failures, 2, "both failing reads happened");
      const ada = (await server.api("GET", "/v1/users/ada")).body;
      assert.equal(ada.instances.length, 0, "ada's instance finished (only active ones are listed)");
      const bo = (await server.api("GET", "/v1/users/bo")).body;
      assert.equal(bo.instances[0].node, "wait");
    } finally {
      await server.close();
    }
  });
});
