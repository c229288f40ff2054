import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BatchChanges } from "../runtime/batch-changes.js";
import type { Catalog } from "./catalog.js";
import type { Effect } from "./effect.js";
import type { Condition, JourneyDefinition, JourneyNode } from "./model.js";
import { type Instance, isWaiting } from "./state.js";
import { catalogOf, HOUR, UserDriver } from "./testing/harness.js";

/**
 * Property-based tests over random journeys and random streams of events, profile changes,
 * engagement, clock advances and version changes, checking the guarantees of DESIGN.md §5 that
 * the core is responsible for.
 */

const EVENTS = ["a", "b", "c", "buy"] as const;

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.integer({ min: 1, max: 180 }).map((m) => ({ after: `${m}m` })),
  fc.constantFrom(...EVENTS).map((event) => ({ event })),
  fc.constantFrom(...EVENTS).map((event) => ({ event, sameKey: true })),
  fc.integer({ min: 0, max: 3 }).map((x) => ({ user: { x } })),
  fc.constant({ message: "opened" as const }),
  fc.integer({ min: 1, max: 100 }).map((percent) => ({ split: { percent } })),
  fc.constantFrom(...EVENTS).map((event) => ({ performed: { event, within: "1d" } })),
  fc.constantFrom("08:00", "21:30").map((localTime) => ({ at: { localTime } })),
);

const condition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { minLength: 1, maxLength: 3 }).map((all) => ({ all })) },
  { weight: 1, arbitrary: fc.array(leaf, { minLength: 1, maxLength: 3 }).map((any) => ({ any })) },
  { weight: 1, arbitrary: leaf.map((not) => ({ not })) },
);

function journeyArbitrary(id: string): fc.Arbitrary<JourneyDefinition> {
  return fc.integer({ min: 1, max: 6 }).chain((size) => {
    const names = Array.from({ length: size }, (_, i) => `n${i}`);
    const node: fc.Arbitrary<JourneyNode> = fc.record({
      actions: fc.array(
        fc.oneof(
          fc.constant({ send: { channel: "push" as const, content: { title: "t", body: "{{ user.x }}" } } }),
          fc.integer({ min: 0, max: 3 }).map((x) => ({ update: { set: { x } } })),
          fc.constant({ webhook: { url: "https://example.com/hook" } }),
        ),
        { maxLength: 2 },
      ),
      edges: fc.array(
        fc.record({ to: fc.constantFrom(...names), when: fc.option(condition, { nil: undefined, freq: 6 }) }),
        { maxLength: 3 },
      ),
    });
    return fc
      .record({
        nodes: fc.tuple(...names.map(() => node)),
        entryEvent: fc.constantFrom(...EVENTS),
        keyed: fc.boolean(),
        reentry: fc.constantFrom<JourneyDefinition["entry"]["reentry"]>("never", "always", { after: "1h" }),
        exit: fc.option(fc.constantFrom(...EVENTS), { nil: undefined }),
        goal: fc.option(fc.constantFrom(...EVENTS), { nil: undefined }),
        quiet: fc.boolean(),
        cap: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      })
      .map((spec) => {
        const nodes: Record<string, JourneyNode> = {};
        spec.nodes.forEach((n, i) => {
          const edges = (n.edges ?? []).map((e) =>
            e.when === undefined ? { to: e.to } : { to: e.to, when: e.when },
          );
          nodes[`n${i}`] = { actions: n.actions, edges: spec.keyed ? edges : edges.map(stripSameKey) };
        });
        return {
          id,
          entry: {
            event: spec.entryEvent,
            reentry: spec.reentry,
            ...(spec.keyed ? { key: "properties.k" } : {}),
          },
          ...(spec.exit ? { exit: [{ event: spec.exit }] } : {}),
          ...(spec.goal ? { goal: { event: spec.goal, within: "1d" } } : {}),
          settings: {
            ...(spec.quiet ? { quietHours: { from: "22:00", to: "07:00" } } : {}),
            ...(spec.cap ? { frequencyCap: { max: spec.cap, per: "1h" } } : {}),
          },
          start: "n0",
          nodes,
        } satisfies JourneyDefinition;
      });
  });
}

function stripSameKey(edge: { to: string; when?: Condition }): { to: string; when?: Condition } {
  const json = JSON.stringify(edge.when ?? null).replaceAll('"sameKey":true', '"sameKey":false');
  const when = JSON.parse(json) as Condition | null;
  return when ? { to: edge.to, when } : { to: edge.to };
}

type Op =
  | { op: "event"; name: string; k: string }
  | { op: "wait"; ms: number }
  | { op: "identify"; x: number }
  | { op: "engage" }
  | { op: "publish" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("event" as const),
      name: fc.constantFrom(...EVENTS),
      k: fc.constantFrom("k1", "k2"),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("wait" as const), ms: fc.integer({ min: 1, max: 5 * HOUR }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("identify" as const), x: fc.integer({ min: 0, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "engage" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "publish" as const }) },
);

/** A second version of a journey: some nodes dropped, a migrate map for some of them. */
function nextVersion(journey: JourneyDefinition, seed: number): JourneyDefinition {
  const ids = Object.keys(journey.nodes);
  const dropped = new Set(ids.filter((id, i) => id !== journey.start && (seed >> i) % 2 === 1));
  const nodes: Record<string, JourneyNode> = {};
  for (const [id, node] of Object.entries(journey.nodes)) {
    if (dropped.has(id)) continue;
    nodes[id] = { ...node, edges: (node.edges ?? []).filter((edge) => !dropped.has(edge.to)) };
  }
  const migrate: Record<string, string> = {};
  for (const id of dropped) if ((seed + id.length) % 3 === 0) migrate[id] = journey.start;
  return { ...journey, nodes, migrate };
}

interface Scenario {
  journeys: JourneyDefinition[];
  ops: Op[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  journeys: fc.tuple(journeyArbitrary("j1"), journeyArbitrary("j2")).map((js) => [...js]),
  ops: fc.array(op, { minLength: 1, maxLength: 40 }),
});

interface Trace {
  effects: Effect[];
  catalogs: Catalog[];
  driver: UserDriver;
}

function play(
  { journeys, ops }: Scenario,
  check?: (driver: UserDriver, effects: Effect[], now: number) => void,
): Trace {
  let version = 1;
  let current = journeys;
  const catalogs = [catalogOf(current.map((definition) => ({ definition, version })))];
  const driver = new UserDriver(catalogs[0] as Catalog, "u1", Date.UTC(2026, 2, 7, 18, 0));
  driver.identify({ channels: { push: { address: "tok" } } });
  const all: Effect[] = [];
  const observe = (effects: Effect[], now: number) => {
    all.push(...effects);
    check?.(driver, effects, now);
  };
  for (const step of ops) {
    const before = driver.effects.length;
    const now = driver.now;
    switch (step.op) {
      case "event":
        driver.event(step.name, { k: step.k });
        break;
      case "wait": {
        // Fire timers one at a time so each batch of effects is checked at its own moment.
        const until = driver.now + step.ms;
        for (;;) {
          const next = [...driver.timers.values()]
            .filter((t) => t.due <= until)
            .sort((a, b) => a.due - b.due)[0];
          if (!next) break;
          const mark = driver.effects.length;
          driver.advanceTo(next.due);
          observe(driver.effects.slice(mark), next.due);
        }
        driver.now = until;
        continue;
      }
      case "identify":
        driver.identify({ attributes: { x: step.x } });
        break;
      case "engage":
        if (driver.sent().length > 0) driver.engage("opened");
        break;
      case "publish": {
        version++;
        current = current.map((j) => nextVersion(j, version * 7 + j.id.length));
        const catalog = catalogOf(current.map((definition) => ({ definition, version })));
        catalogs.push(catalog);
        driver.catalog = catalog;
        for (const j of current)
          driver.apply({
            kind: "journey-changed",
            id: `pub-${version}-${j.id}`,
            userId: "u1",
            journeyId: j.id,
          });
        break;
      }
    }
    observe(driver.effects.slice(before), now);
  }
  return { effects: all, catalogs, driver };
}

describe("advance: properties over random journeys and streams", () => {
  it("is deterministic: the same inputs give the same effects", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const first = play(s);
        const second = play(s);
        assert.deepEqual(
          JSON.parse(JSON.stringify(second.effects)),
          JSON.parse(JSON.stringify(first.effects)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("takes exactly one edge per step: every move continues from where the instance was", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const where = new Map<string, { node: string; step: number }>();
        play(s, (_driver, effects) => {
          for (const effect of effects) {
            if (effect.type === "instance.entered")
              where.set(`${effect.instance.journeyId}/${effect.instance.key}`, {
                node: effect.instance.node,
                step: effect.instance.step,
              });
            if (effect.type === "instance.moved") {
              const key = `${effect.instance.journeyId}/${effect.instance.key}`;
              const before = where.get(key);
              assert.ok(before, "a move of an instance that never entered");
              assert.equal(effect.from, before.node, "a move must leave from the node the instance was on");
              assert.equal(effect.instance.step, before.step + 1, "one edge per step");
              where.set(key, { node: effect.instance.node, step: effect.instance.step });
            }
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it("never sets a timer due before the moment that caused it, and at most one per instance", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        play(s, (driver, effects, now) => {
          for (const effect of effects) {
            if (effect.type === "timer.set")
              assert.ok(effect.timer.due > now, `timer due ${effect.timer.due} <= ${now}`);
          }
          const perInstance = new Map<string, number>();
          for (const timer of driver.timers.values()) {
            const key = `${timer.journeyId}/${timer.key}`;
            perInstance.set(key, (perInstance.get(key) ?? 0) + 1);
          }
          for (const [key, count] of perInstance) assert.ok(count <= 1, `${key} has ${count} pending timers`);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("keeps every pending timer named by its instance, and cancels timers at the due they were set for", () => {
    // The SQLite store finds a timer by (due, user, id): a cancellation carrying another due, or
    // a timer no instance names, would leave a row behind.
    fc.assert(
      fc.property(scenario, (s) => {
        const setAt = new Map<string, number>();
        play(s, (driver, effects) => {
          for (const effect of effects) {
            if (effect.type === "timer.set") {
              assert.equal(setAt.get(effect.timer.id) ?? effect.timer.due, effect.timer.due);
              setAt.set(effect.timer.id, effect.timer.due);
            }
            if (effect.type === "timer.cancelled" && setAt.has(effect.timerId)) {
              assert.equal(effect.due, setAt.get(effect.timerId), `cancel of ${effect.timerId}`);
            }
          }
          for (const timer of driver.timers.values()) {
            const instance = driver.instance(timer.journeyId, timer.key);
            assert.ok(instance, `timer ${timer.id} has no instance`);
            assert.equal(instance.timerId, timer.id);
            assert.equal(instance.timerDue, timer.due);
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it("moves the waiting counts by exactly the instances that arrive at and leave each node", () => {
    // The store keeps a node's waiting count as the sum of the changes each commit carries, which
    // the executor derives from advance()'s effects and the instances it started from: any drift
    // would show in journey stats and the waiting gauge forever.
    fc.assert(
      fc.property(scenario, (s) => {
        const counts = new Map<string, number>();
        let before: Instance[] = [];
        play(s, (driver, effects) => {
          const batch = new BatchChanges("p");
          batch.absorb(effects, before);
          for (const c of batch.finish().counters) {
            const key = `${c.journeyId}/${c.node}`;
            const count = (counts.get(key) ?? 0) + (c.waiting ?? 0);
            if (count === 0) counts.delete(key);
            else counts.set(key, count);
          }
          const actual = new Map<string, number>();
          for (const i of driver.instances.filter(isWaiting)) {
            actual.set(`${i.journeyId}/${i.node}`, (actual.get(`${i.journeyId}/${i.node}`) ?? 0) + 1);
          }
          assert.deepEqual(counts, actual);
          before = driver.instances;
        });
      }),
      { numRuns: 200 },
    );
  });

  it("gives deliveries stable idempotency keys across replays, unique within a run", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const keys = (t: Trace) =>
          t.effects.flatMap((e) => (e.type === "delivery" ? [e.delivery.idempotencyKey] : []));
        const first = keys(play(s));
        assert.deepEqual(keys(play(s)), first);
        assert.equal(new Set(first).size, first.length, "an idempotency key was produced twice");
      }),
      { numRuns: 200 },
    );
  });

  it("never leaves an instance on a node that does not exist in its version", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        play(s, (driver) => {
          for (const instance of driver.instances) {
            if (instance.status === "exited") continue;
            const journey = driver.catalog.journeys.get(instance.journeyId);
            assert.ok(journey, "instance of an unknown journey");
            if (instance.version === journey.version)
              assert.ok(journey.nodes.has(instance.node), `${instance.node} missing in v${instance.version}`);
          }
          for (const effect of [...driver.effects.slice(-50)]) {
            if (effect.type === "instance.moved" || effect.type === "instance.entered") {
              const journey = driver.catalog.journeys.get(effect.instance.journeyId);
              if (journey && journey.version === effect.instance.version)
                assert.ok(journey.nodes.has(effect.instance.node));
            }
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it("sends nothing while a journey's quiet hours hold the user", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        play(s, (driver, effects, now) => {
          for (const effect of effects) {
            if (
              effect.type !== "delivery" ||
              effect.delivery.channel !== "push" ||
              effect.delivery.skipReason
            )
              continue;
            const journey = driver.catalog.journeys.get(effect.delivery.journeyId);
            if (!journey?.quietHours) continue;
            const hour = new Date(now).getUTCHours();
            assert.ok(
              !(hour >= 22 || hour < 7),
              `push sent at ${new Date(now).toISOString()} during quiet hours`,
            );
          }
        });
      }),
      { numRuns: 100 },
    );
  });
});
