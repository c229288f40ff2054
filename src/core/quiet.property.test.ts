import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type AdvanceContext, advance } from "./advance.js";
import type { Catalog } from "./catalog.js";
import type { EventInput } from "./input.js";
import type { Condition, JourneyDefinition, JourneyNode, SegmentDefinition } from "./model.js";
import { advanceQuiet, isQuietEvent, quietUntil } from "./quiet.js";
import { catalogOf, DAY, HOUR, MINUTE, UserDriver } from "./testing/harness.js";

/**
 * Quiet events (names no journey or segment reacts to) may be skipped while `quietUntil` says
 * they change nothing. Random journeys, segments and streams check that claim: at random moments
 * before the bound a quiet event has no effect at all, and a user whose quiet events are skipped
 * the way the executor skips them ends up exactly as one who had them all processed.
 */

const NAMED = ["a", "b", "buy"] as const;
const QUIET = ["page_view", "app_open"] as const;

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.integer({ min: 1, max: 180 }).map((m) => ({ after: `${m}m` })),
  fc.constantFrom(...NAMED).map((event) => ({ event })),
  fc.integer({ min: 0, max: 2 }).map((x) => ({ user: { x } })),
  fc.constant({ message: "opened" as const }),
  fc.integer({ min: 1, max: 100 }).map((percent) => ({ split: { percent } })),
  fc
    .record({
      event: fc.constantFrom(...NAMED),
      within: fc.constantFrom("5m", "90m", "1d"),
      count: fc.integer({ min: 1, max: 3 }),
    })
    .map((performed) => ({ performed })),
  fc.constantFrom(...NAMED).map((event) => ({ performed: { event } })),
  fc.constantFrom("08:00", "21:30").map((localTime) => ({ at: { localTime } })),
  fc.constantFrom("-1h", "30m").map((offset) => ({ at: { attribute: "renewal", offset } })),
  fc.constantFrom("s1", "s2").map((segment) => ({ segment })),
);

const condition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { minLength: 1, maxLength: 3 }).map((all) => ({ all })) },
  { weight: 1, arbitrary: fc.array(leaf, { minLength: 1, maxLength: 3 }).map((any) => ({ any })) },
  { weight: 1, arbitrary: leaf.map((not) => ({ not })) },
);

/** Segment conditions: no instance-bound parts (`after`, `at`, `message`, `split`). */
const segmentLeaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.integer({ min: 0, max: 2 }).map((x) => ({ user: { x } })),
  fc
    .record({ event: fc.constantFrom(...NAMED), within: fc.constantFrom("5m", "90m", "1d") })
    .map((performed) => ({ performed })),
  fc.constantFrom(...NAMED).map((event) => ({ performed: { event } })),
);

const segmentCondition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 2, arbitrary: segmentLeaf },
  { weight: 1, arbitrary: fc.array(segmentLeaf, { minLength: 1, maxLength: 3 }).map((all) => ({ all })) },
  { weight: 1, arbitrary: fc.array(segmentLeaf, { minLength: 1, maxLength: 3 }).map((any) => ({ any })) },
  { weight: 1, arbitrary: segmentLeaf.map((not) => ({ not })) },
);

function journeyArbitrary(id: string): fc.Arbitrary<JourneyDefinition> {
  return fc.integer({ min: 1, max: 5 }).chain((size) => {
    const names = Array.from({ length: size }, (_, i) => `n${i}`);
    const node: fc.Arbitrary<JourneyNode> = fc.record({
      actions: fc.array(
        fc.oneof(
          fc.constant({ send: { channel: "push" as const, content: { title: "t", body: "hi" } } }),
          fc.integer({ min: 0, max: 2 }).map((x) => ({ update: { set: { x } } })),
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
        entry: fc.oneof(
          fc.constantFrom(...NAMED).map((event) => ({ event })),
          fc.constantFrom("s1", "s2").map((segment) => ({ segment, on: "enter" as const })),
        ),
        reentry: fc.constantFrom<JourneyDefinition["entry"]["reentry"]>("never", "always", { after: "2h" }),
        audience: fc.option(segmentCondition, { nil: undefined, freq: 3 }),
        exit: fc.option(fc.constantFrom(...NAMED), { nil: undefined }),
        goal: fc.option(fc.constantFrom(...NAMED), { nil: undefined }),
        quiet: fc.boolean(),
      })
      .map((spec) => {
        const nodes: Record<string, JourneyNode> = {};
        spec.nodes.forEach((n, i) => {
          nodes[`n${i}`] = {
            actions: n.actions,
            edges: (n.edges ?? []).map((e) =>
              e.when === undefined ? { to: e.to } : { to: e.to, when: e.when },
            ),
          };
        });
        return {
          id,
          entry: { ...spec.entry, reentry: spec.reentry },
          ...(spec.audience ? { audience: spec.audience } : {}),
          ...(spec.exit ? { exit: [{ event: spec.exit }] } : {}),
          ...(spec.goal ? { goal: { event: spec.goal, within: "1d" } } : {}),
          settings: spec.quiet ? { quietHours: { from: "22:00", to: "07:00" } } : {},
          start: "n0",
          nodes,
        } satisfies JourneyDefinition;
      });
  });
}

type Op =
  | { op: "event"; name: string }
  | { op: "wait"; ms: number }
  | { op: "identify"; x: number; renewalInHours: number }
  | { op: "engage" };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("event" as const), name: fc.constantFrom(...NAMED) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("event" as const), name: fc.constantFrom(...QUIET) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("wait" as const),
      ms: fc.oneof(fc.integer({ min: 1, max: 10 * MINUTE }), fc.integer({ min: 1, max: 2 * DAY })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("identify" as const),
      x: fc.integer({ min: 0, max: 2 }),
      renewalInHours: fc.integer({ min: -5, max: 30 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "engage" as const }) },
);

interface Scenario {
  catalog: Catalog;
  ops: Op[];
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    journeys: fc.tuple(journeyArbitrary("j1"), journeyArbitrary("j2")),
    segments: fc.tuple(segmentCondition, segmentCondition),
    ops: fc.array(op, { minLength: 1, maxLength: 50 }),
  })
  .map(({ journeys, segments, ops }) => {
    const defs: SegmentDefinition[] = segments.map((condition, i) => ({ id: `s${i + 1}`, condition }));
    return { catalog: catalogOf([...journeys], { segments: defs }), ops };
  });

function quietEvent(driver: UserDriver, name: string, at: number, n: number | string): EventInput {
  return { kind: "event", id: `e${n}`, userId: driver.userId, name, properties: { k: "v" }, timestamp: at };
}

function contextAt(driver: UserDriver, now: number): AdvanceContext {
  return { now, catalog: driver.catalog, profile: driver.profile, instances: driver.instances };
}

/** Runs one op on a driver (events carry ids of their own, so skipping one shifts no other id). */
function step(driver: UserDriver, o: Op, index: number): void {
  switch (o.op) {
    case "event":
      driver.event(o.name, { k: "v" }, `e${index}`);
      return;
    case "wait":
      driver.advanceTo(driver.now + o.ms);
      return;
    case "identify":
      driver.identify({
        attributes: { x: o.x, renewal: new Date(driver.now + o.renewalInHours * HOUR).toISOString() },
      });
      return;
    case "engage":
      if (driver.sent().length > 0) driver.engage("opened");
      return;
  }
}

function isQuietOp(o: Op): o is { op: "event"; name: string } {
  return o.op === "event" && (QUIET as readonly string[]).includes(o.name);
}

const start = Date.UTC(2026, 2, 7, 18, 0);

describe("quiet events: skipping them changes nothing", () => {
  it("names every event a journey or segment reacts to, and only those", () => {
    const catalog = catalogOf(
      [
        {
          id: "j",
          entry: { event: "signup" },
          exit: [{ event: "unsubscribed" }],
          goal: { event: "purchase" },
          start: "a",
          nodes: {
            a: { edges: [{ to: "b", when: { any: [{ event: "opened_app" }, { after: "1h" }] } }] },
            b: {},
          },
        },
      ],
      { segments: [{ id: "buyers", condition: { performed: { event: "order", within: "30d" } } }] },
    );
    for (const name of ["signup", "unsubscribed", "purchase", "opened_app", "order"])
      assert.equal(isQuietEvent(catalog, name), false, name);
    assert.equal(isQuietEvent(catalog, "page_view"), true);
    const all = catalogOf([], {});
    assert.equal(
      isQuietEvent({ ...all, history: "all" }, "page_view"),
      false,
      "history: all counts every event",
    );
  });

  it("is not quiet for a user with no profile (the event creates it)", () => {
    const catalog = catalogOf([]);
    assert.equal(quietUntil({ now: start, catalog, profile: undefined, instances: [] }), start);
  });

  it("holds until a lapsed customer joins the segment, then lets the next quiet event enter them", () => {
    const catalog = catalogOf(
      [
        {
          id: "win-back",
          entry: { segment: "lapsed", on: "enter" },
          start: "offer",
          nodes: { offer: { actions: [{ send: { channel: "push", content: { title: "t", body: "b" } } }] } },
        },
      ],
      {
        segments: [
          {
            id: "lapsed",
            condition: {
              all: [
                { performed: { event: "order_completed" } },
                { not: { performed: { event: "order_completed", within: "60d" } } },
              ],
            },
          },
        ],
      },
    );
    const driver = new UserDriver(catalog, "u1", start);
    driver.identify({ channels: { push: { address: "tok" } } });
    assert.equal(quietUntil(contextAt(driver, driver.now)), Number.POSITIVE_INFINITY, "never ordered");
    driver.event("order_completed");
    const until = quietUntil(contextAt(driver, driver.now));
    // The order's minute leaves the 60-day window one minute boundary after 60 days.
    const minute = Math.floor(start / MINUTE) * MINUTE;
    assert.equal(until, minute + MINUTE + 60 * DAY);
    assert.deepEqual(
      advance(contextAt(driver, until - 1), quietEvent(driver, "page_view", until - 1, 1)).effects,
      [],
    );
    const joined = advance(contextAt(driver, until), quietEvent(driver, "page_view", until, 2));
    assert.ok(joined.effects.some((e) => e.type === "instance.entered"));
  });

  it("has no effect at any moment before quietUntil", () => {
    let vouched = 0;
    fc.assert(
      fc.property(
        scenario,
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 3,
          maxLength: 3,
        }),
        (s, picks) => {
          const driver = new UserDriver(s.catalog, "u1", start);
          driver.identify({ channels: { push: { address: "tok" } } });
          let n = 0;
          for (const [index, o] of s.ops.entries()) {
            step(driver, o, index);
            const now = driver.now;
            const until = quietUntil(contextAt(driver, now));
            assert.ok(until >= now, "quietUntil is never in the past");
            if (until === now) continue;
            vouched++;
            const span = Math.min(until, now + 3 * DAY) - now;
            const moments = [now, ...picks.map((p) => now + Math.floor(p * span))];
            if (until !== Number.POSITIVE_INFINITY) moments.push(until - 1);
            for (const at of moments) {
              const name = QUIET[n % QUIET.length] as string;
              const result = advance(contextAt(driver, at), quietEvent(driver, name, at, n++));
              assert.deepEqual(
                result.effects,
                [],
                `a quiet event at +${at - now} ms (vouched until +${until - now})`,
              );
              assert.equal(result.profile, driver.profile);
              assert.deepEqual(result.instances, driver.instances);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(vouched > 1000, `quietUntil vouched for ${vouched} states only: the check would prove nothing`);
  });

  it("ends in the same state, with the same effects, when quiet events are skipped as the executor does", () => {
    let skipped = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const all = new UserDriver(s.catalog, "u1", start);
        const some = new UserDriver(s.catalog, "u1", start);
        for (const d of [all, some]) d.identify({ channels: { push: { address: "tok" } } });
        // The executor's table entry for this user: after each input it runs, until when the
        // user's quiet events may be skipped (a quiet event it runs is its own probe).
        let until = quietUntil(contextAt(some, some.now));
        s.ops.forEach((o, index) => {
          step(all, o, index);
          if (isQuietOp(o) && some.now < until) {
            skipped++;
            return;
          }
          const bound = isQuietOp(o)
            ? advanceQuiet(contextAt(some, some.now), quietEvent(some, o.name, some.now, index)).quietUntil
            : undefined;
          step(some, o, index);
          until = bound ?? quietUntil(contextAt(some, some.now));
        });
        assert.deepEqual(some.effects, all.effects);
        assert.deepEqual(some.instances, all.instances);
        assert.deepEqual(some.profile, all.profile);
      }),
      { numRuns: 300 },
    );
    assert.ok(skipped > 500, `only ${skipped} quiet events were skipped: the check would prove nothing`);
  });
});
