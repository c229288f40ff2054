import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JourneyDefinition } from "./model.js";
import { catalogOf, DAY, HOUR, MINUTE, UserDriver } from "./testing/harness.js";

const cart: JourneyDefinition = {
  id: "cart",
  entry: { event: "cart_updated", where: { "properties.total": { $gt: 50 } }, key: "properties.cartId" },
  exit: [{ event: "order_completed", sameKey: true }],
  goal: { event: "order_completed", within: "3d" },
  start: "wait",
  nodes: {
    wait: { edges: [{ to: "push", when: { after: "30m" } }] },
    push: {
      actions: [
        {
          send: {
            channel: "push",
            content: { title: "Your cart", body: "{{ journey.entry.properties.total }} waiting" },
          },
        },
      ],
      edges: [
        { to: "done", when: { message: "opened" } },
        { to: "email", when: { after: "2h" } },
      ],
    },
    email: {
      actions: [
        { send: { channel: "email", content: { subject: "Cart", text: "Hi {{ user.firstName }}" } } },
      ],
    },
    done: {},
  },
};

function withAddresses(driver: UserDriver): UserDriver {
  driver.identify({
    attributes: { firstName: "Ada" },
    channels: { push: { address: "tok-1" }, email: { address: "ada@example.com" } },
  });
  return driver;
}

describe("advance: entry", () => {
  it("an event matching entry and where creates one instance on the start node", () => {
    const user = new UserDriver(catalogOf([cart]));
    user.event("cart_updated", { cartId: "c1", total: 80 });
    const instance = user.instance("cart", "c1");
    assert.equal(instance?.node, "wait");
    assert.equal(instance?.status, "active");
    assert.equal(user.timers.size, 1);
  });

  it("an event that fails the where filter does not enter", () => {
    const user = new UserDriver(catalogOf([cart]));
    user.event("cart_updated", { cartId: "c1", total: 20 });
    assert.equal(user.instances.length, 0);
  });

  it("a correlation key gives one instance per key value", () => {
    const user = new UserDriver(catalogOf([cart]));
    user.event("cart_updated", { cartId: "c1", total: 80 });
    user.event("cart_updated", { cartId: "c1", total: 90 });
    user.event("cart_updated", { cartId: "c2", total: 60 });
    assert.deepEqual(user.instances.map((i) => i.key).sort(), ["c1", "c2"]);
  });

  it("an entry event without the key value is ignored with a journal reason", () => {
    const user = new UserDriver(catalogOf([cart]));
    user.event("cart_updated", { total: 80 });
    assert.equal(user.instances.length, 0);
    assert.match(user.journal.at(-1)?.reason ?? "", /no value at properties.cartId/);
  });

  it("audience restricts who can enter", () => {
    const journey: JourneyDefinition = {
      id: "vip",
      entry: { event: "login" },
      audience: { user: { tier: "gold" } },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { after: "1h" } }] }, b: {} },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("login");
    assert.equal(user.instances.length, 0);
    assert.match(user.journal.at(-1)?.reason ?? "", /audience/);
    user.identify({ attributes: { tier: "gold" } });
    user.event("login");
    assert.equal(user.instance("vip")?.node, "a");
  });

  it("re-entry never: a user who exited cannot enter again", () => {
    const journey: JourneyDefinition = { id: "once", entry: { event: "go" }, start: "a", nodes: { a: {} } };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    assert.equal(user.instance("once")?.status, "exited");
    user.event("go");
    assert.equal(user.instance("once")?.entries, 1);
  });

  it("re-entry always: a user re-enters after exiting, with a new entry id", () => {
    const journey: JourneyDefinition = {
      id: "again",
      entry: { event: "go", reentry: "always" },
      start: "a",
      nodes: { a: {} },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    const first = user.instance("again")?.entryId;
    user.event("go");
    assert.equal(user.instance("again")?.entries, 2);
    assert.notEqual(user.instance("again")?.entryId, first);
  });

  it("re-entry after a duration: refused before, allowed after", () => {
    const journey: JourneyDefinition = {
      id: "daily",
      entry: { event: "go", reentry: { after: "1d" } },
      start: "a",
      nodes: { a: {} },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    user.advanceBy(23 * HOUR);
    user.event("go");
    assert.equal(user.instance("daily")?.entries, 1);
    user.advanceBy(HOUR);
    user.event("go");
    assert.equal(user.instance("daily")?.entries, 2);
  });

  it("an active instance is not restarted by its entry event", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go", reentry: "always" },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { after: "1h" } }] }, b: {} },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    const entered = user.instance("j")?.entryId;
    user.event("go");
    assert.equal(user.instance("j")?.entryId, entered);
    assert.equal(user.instance("j")?.entries, 1);
  });

  it("entry by API needs a journey whose entry is api", () => {
    const api: JourneyDefinition = { id: "api", entry: { api: true }, start: "a", nodes: { a: {} } };
    const user = new UserDriver(catalogOf([api, cart]));
    user.apply({ kind: "enter", id: "x1", userId: "u1", journeyId: "api", properties: {} });
    assert.equal(user.instance("api")?.status, "exited");
    user.apply({ kind: "enter", id: "x2", userId: "u1", journeyId: "cart", properties: {} });
    assert.match(user.journal.at(-1)?.reason ?? "", /not entered by API/);
  });

  it("segment entry: a user enters when they become a member", () => {
    const journey: JourneyDefinition = {
      id: "winback",
      entry: { segment: "lapsed", on: "enter" },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { after: "1h" } }] }, b: {} },
    };
    const catalog = catalogOf([journey], {
      segments: [{ id: "lapsed", condition: { user: { lapsed: true } } }],
    });
    const user = new UserDriver(catalog);
    user.identify({ attributes: { lapsed: false } });
    assert.equal(user.instances.length, 0);
    user.identify({ attributes: { lapsed: true } });
    assert.equal(user.instance("winback")?.node, "a");
    assert.deepEqual(user.profile?.segments, ["lapsed"]);
  });

  it("publishing a segment-entry journey enrolls a user who already matches", () => {
    const journey: JourneyDefinition = {
      id: "winback",
      entry: { segment: "lapsed", on: "enter" },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { after: "1h" } }] }, b: {} },
    };
    const segments = [{ id: "lapsed", condition: { user: { lapsed: true } } }];
    const user = new UserDriver(catalogOf([], { segments }));
    user.identify({ attributes: { lapsed: true } });
    user.catalog = catalogOf([journey], { segments });
    user.apply({ kind: "journey-changed", id: "pub1", userId: "u1", journeyId: "winback" });
    assert.equal(user.instance("winback")?.node, "a");
  });
});

describe("advance: edges and timers", () => {
  it("a user who opens the push within 2h takes the opened branch and gets no email", () => {
    const user = withAddresses(new UserDriver(catalogOf([cart])));
    user.event("cart_updated", { cartId: "c1", total: 80 });
    user.advanceBy(30 * MINUTE);
    assert.equal(user.instance("cart", "c1")?.node, "push");
    assert.equal(user.sent().length, 1);
    assert.equal(user.sent()[0]?.payload.body, "80 waiting");
    user.advanceBy(HOUR);
    user.engage("opened");
    assert.equal(user.instance("cart", "c1")?.status, "exited");
    assert.deepEqual(user.instance("cart", "c1")?.node, "done");
    user.advanceBy(5 * HOUR);
    assert.equal(user.sent().length, 1);
  });

  it("a user who does not open within 2h gets the email at exactly 2h", () => {
    const user = withAddresses(new UserDriver(catalogOf([cart])));
    const start = user.now;
    user.event("cart_updated", { cartId: "c1", total: 80 });
    user.advanceBy(3 * HOUR);
    const email = user.sent().find((d) => d.channel === "email");
    assert.equal(email?.createdAt, start + 30 * MINUTE + 2 * HOUR);
    assert.equal(email?.payload.text, "Hi Ada");
  });

  it("edges are evaluated in order and the first match wins", () => {
    const journey: JourneyDefinition = {
      id: "order",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: { edges: [{ to: "b", when: { user: { x: 1 } } }, { to: "c" }, { to: "d" }] },
        b: {},
        c: {},
        d: {},
      },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    assert.equal(user.instance("order")?.node, "c");
    const moves = user.effects.filter((e) => e.type === "instance.moved");
    assert.equal(moves.length, 1);
  });

  it("a waiting user moves when a profile change makes a user edge hold", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: {
          edges: [
            { to: "b", when: { user: { verified: true } } },
            { to: "c", when: { after: "1d" } },
          ],
        },
        b: {},
        c: {},
      },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    assert.equal(user.instance("j")?.node, "a");
    user.identify({ attributes: { verified: true } });
    assert.equal(user.instance("j")?.node, "b");
    assert.equal(user.timers.size, 0, "the 1d timer is cancelled when the user moves on");
  });

  it("one timer per instance: the earliest time edge", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: {
          edges: [
            { to: "b", when: { after: "3h" } },
            { to: "c", when: { after: "1h" } },
          ],
        },
        b: {},
        c: {},
      },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    assert.equal(user.timers.size, 1);
    assert.equal([...user.timers.values()][0]?.due, user.now + HOUR);
    user.advanceBy(HOUR);
    assert.equal(user.instance("j")?.node, "c");
  });

  it("a stale timer is ignored", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: {
          edges: [
            { to: "b", when: { event: "click" } },
            { to: "c", when: { after: "1h" } },
          ],
        },
        b: { edges: [{ to: "d", when: { after: "5h" } }] },
        c: {},
        d: {},
      },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    const stale = [...user.timers.values()][0];
    assert.ok(stale);
    user.event("click");
    assert.equal(user.instance("j")?.node, "b");
    user.now = stale.due;
    const effects = user.apply({
      kind: "timer",
      userId: "u1",
      journeyId: "j",
      key: "",
      timerId: stale.id,
      due: stale.due,
    });
    assert.equal(user.instance("j")?.node, "b");
    assert.ok(effects.every((e) => e.type === "timer.cancelled"));
  });

  it("a wait for an event with a timeout: event edge then time edge", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "signup" },
      start: "a",
      nodes: {
        a: {
          edges: [
            { to: "verified", when: { event: "email_verified" } },
            { to: "nudge", when: { after: "1d" } },
          ],
        },
        verified: {},
        nudge: {},
      },
    };
    const fast = new UserDriver(catalogOf([journey]), "fast");
    fast.event("signup");
    fast.advanceBy(HOUR);
    fast.event("email_verified");
    assert.equal(fast.instance("j")?.node, "verified");
    const slow = new UserDriver(catalogOf([journey]), "slow");
    slow.event("signup");
    slow.advanceBy(DAY);
    assert.equal(slow.instance("j")?.node, "nudge");
  });

  it("the entry event does not also satisfy an event edge of the start node", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go" },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { event: "go" } }] }, b: {} },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    assert.equal(user.instance("j")?.node, "a");
    user.event("go");
    assert.equal(user.instance("j")?.status, "exited");
  });

  it("event edges with sameKey only match events of the same correlation key", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "cart", key: "properties.id" },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { event: "paid", sameKey: true } }] }, b: {} },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("cart", { id: "c1" });
    user.event("paid", { id: "other" });
    assert.equal(user.instance("j", "c1")?.node, "a");
    user.event("paid", { id: "c1" });
    assert.equal(user.instance("j", "c1")?.node, "b");
  });

  it("a graph that loops without a gate is stopped by the step bound", () => {
    const journey: JourneyDefinition = {
      id: "spin",
      entry: { event: "go" },
      start: "a",
      nodes: { a: { edges: [{ to: "b" }] }, b: { edges: [{ to: "a" }] } },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    assert.equal(user.instance("spin")?.status, "exited");
    assert.equal(user.instance("spin")?.exitReason, "step limit reached");
  });

  it("split sends about half the users each way, deterministically", () => {
    const journey: JourneyDefinition = {
      id: "ab",
      entry: { event: "go" },
      start: "s",
      nodes: { s: { edges: [{ to: "a", when: { split: { percent: 50 } } }, { to: "b" }] }, a: {}, b: {} },
    };
    const catalog = catalogOf([journey]);
    let a = 0;
    for (let i = 0; i < 2000; i++) {
      const user = new UserDriver(catalog, `user-${i}`);
      user.event("go", {}, "same-id");
      const path = user.effects.find((e) => e.type === "instance.moved");
      if (path?.type === "instance.moved" && path.instance.node === "a") a++;
      const again = new UserDriver(catalog, `user-${i}`);
      again.event("go", {}, "same-id");
      assert.equal(again.instance("ab")?.node, user.instance("ab")?.node);
    }
    assert.ok(a > 900 && a < 1100, `expected ~1000 in branch a, got ${a}`);
  });

  it("three-way split uses disjoint buckets", () => {
    const journey: JourneyDefinition = {
      id: "abc",
      entry: { event: "go" },
      start: "s",
      nodes: {
        s: {
          edges: [
            { to: "a", when: { split: { percent: 33 } } },
            { to: "b", when: { split: { percent: 33 } } },
            { to: "c" },
          ],
        },
        a: {},
        b: {},
        c: {},
      },
    };
    const catalog = catalogOf([journey]);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) {
      const user = new UserDriver(catalog, `user-${i}`);
      user.event("go");
      const node = user.instance("abc")?.node as string;
      counts[node] = (counts[node] ?? 0) + 1;
    }
    for (const node of ["a", "b", "c"]) assert.ok((counts[node] ?? 0) > 850, `${node}: ${counts[node]}`);
  });

  it("performed: lookback counts events in the window", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "checkout" },
      start: "a",
      nodes: {
        a: {
          edges: [
            { to: "loyal", when: { performed: { event: "purchase", within: "7d", count: { $gte: 2 } } } },
            {
              to: "big",
              when: { performed: { event: "purchase", where: { "properties.amount": { $gt: 100 } } } },
            },
            { to: "other" },
          ],
        },
        loyal: {},
        big: {},
        other: {},
      },
    };
    const catalog = catalogOf([{ definition: journey }]);
    const old = new UserDriver(catalog, "old");
    old.event("purchase", { amount: 10 });
    old.advanceBy(8 * DAY);
    old.event("purchase", { amount: 10 });
    old.event("checkout");
    assert.equal(old.instance("j")?.node, "other");
    const loyal = new UserDriver(catalog, "loyal");
    loyal.event("purchase", { amount: 10 });
    loyal.advanceBy(2 * DAY);
    loyal.event("purchase", { amount: 10 });
    loyal.event("checkout");
    assert.equal(loyal.instance("j")?.node, "loyal");
    const big = new UserDriver(catalog, "big");
    big.event("purchase", { amount: 500 });
    big.event("checkout");
    assert.equal(big.instance("j")?.node, "big");
  });

  it("segment conditions are evaluated in memory against the profile", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go" },
      start: "a",
      nodes: { a: { edges: [{ to: "vip", when: { segment: "vip" } }, { to: "std" }] }, vip: {}, std: {} },
    };
    const catalog = catalogOf([journey], {
      segments: [{ id: "vip", condition: { user: { spend: { $gte: 1000 } } } }],
    });
    const user = new UserDriver(catalog);
    user.identify({ attributes: { spend: 5000 } });
    user.event("go");
    assert.equal(user.instance("j")?.node, "vip");
  });
});

describe("advance: exits, goals, actions", () => {
  it("an exit event with sameKey ends only the matching instance", () => {
    const user = new UserDriver(catalogOf([cart]));
    user.event("cart_updated", { cartId: "c1", total: 80 });
    user.event("cart_updated", { cartId: "c2", total: 80 });
    user.event("order_completed", { cartId: "c1" });
    assert.equal(user.instance("cart", "c1")?.status, "exited");
    assert.equal(user.instance("cart", "c2")?.status, "active");
    assert.equal(user.timers.size, 1);
  });

  it("a goal counts the conversion once, within the window", () => {
    const journey: JourneyDefinition = {
      id: "g",
      entry: { event: "go" },
      goal: { event: "buy", within: "1d" },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { after: "2d" } }] }, b: {} },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    user.event("buy");
    user.event("buy");
    assert.equal(user.effects.filter((e) => e.type === "instance.converted").length, 1);
    assert.equal(user.instance("g")?.status, "active", "a goal without exit does not end the journey");
    const late = new UserDriver(catalogOf([journey]), "late");
    late.event("go");
    late.advanceBy(DAY + MINUTE);
    late.event("buy");
    assert.equal(late.effects.filter((e) => e.type === "instance.converted").length, 0);
  });

  it("a conversion after the journey ended still counts within the window", () => {
    const journey: JourneyDefinition = {
      id: "g",
      entry: { event: "go" },
      goal: { event: "buy", within: "3d" },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { after: "1h" } }] }, b: {} },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go");
    user.advanceBy(2 * HOUR);
    assert.equal(user.instance("g")?.status, "exited");
    user.event("buy");
    assert.ok(user.instance("g")?.converted);
  });

  it("sends to an unsubscribed or missing address are skipped with a reason and the user moves on", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: {
          actions: [{ send: { channel: "email", content: { subject: "s", text: "t" } } }],
          edges: [{ to: "b" }],
        },
        b: { actions: [{ send: { channel: "sms", content: { text: "t" } } }] },
      },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.identify({ channels: { email: { address: "a@b.c", subscribed: false, reason: "user" } } });
    user.event("go");
    assert.equal(user.sent().length, 0);
    assert.deepEqual(
      user.deliveries.map((d) => d.skipReason),
      ["unsubscribed from email (user)", "no sms address on the profile"],
    );
    assert.equal(user.instance("j")?.status, "exited");
  });

  it("frequency cap: a capped send is skipped and the user moves on", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go", reentry: "always" },
      settings: { frequencyCap: { max: 2, per: "1d" } },
      start: "a",
      nodes: { a: { actions: [{ send: { channel: "push", content: { title: "t", body: "b" } } }] } },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.identify({ channels: { push: { address: "tok" } } });
    for (let i = 0; i < 3; i++) user.event("go");
    assert.equal(user.sent().length, 2);
    assert.match(user.deliveries[2]?.skipReason ?? "", /frequency cap/);
    user.advanceBy(DAY + 1);
    user.event("go");
    assert.equal(user.sent().length, 3);
  });

  it("quiet hours: a send waits until the window ends in the user's timezone, then waits are measured from the send", () => {
    const journey: JourneyDefinition = {
      id: "q",
      entry: { event: "go" },
      settings: { quietHours: { from: "21:00", to: "08:00" } },
      start: "push",
      nodes: {
        push: {
          actions: [{ send: { channel: "push", content: { title: "t", body: "b" } } }],
          edges: [{ to: "done", when: { after: "1h" } }],
        },
        done: {},
      },
    };
    const user = new UserDriver(catalogOf([journey]), "u1", Date.UTC(2026, 5, 1, 21, 30));
    user.identify({ timezone: "Europe/Paris", channels: { push: { address: "tok" } } });
    // 21:30 UTC is 23:30 in Paris (UTC+2 in June): quiet.
    user.event("go");
    assert.equal(user.sent().length, 0);
    assert.equal(user.instance("q")?.status, "held");
    user.advanceBy(12 * HOUR);
    // 08:00 Paris = 06:00 UTC the next day.
    assert.equal(user.sent()[0]?.createdAt, Date.UTC(2026, 5, 2, 6, 0));
    assert.equal(user.instance("q")?.exitedAt, Date.UTC(2026, 5, 2, 7, 0));
  });

  it("update actions change attributes and emit actions produce events with deterministic ids", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: {
          actions: [
            { update: { set: { stage: "welcomed" }, increment: { visits: 1 } } },
            { emit: { event: "welcomed", properties: { stage: "{{ user.stage }}" } } },
          ],
        },
      },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go", {}, "evt-1");
    assert.equal(user.profile?.attributes.stage, "welcomed");
    assert.equal(user.profile?.attributes.visits, 1);
    assert.equal(user.emitted.length, 1);
    const emitted = user.emitted[0];
    assert.equal(emitted?.kind === "event" && emitted.properties.stage, "welcomed");
    const again = new UserDriver(catalogOf([journey]));
    again.event("go", {}, "evt-1");
    assert.equal(
      again.emitted[0]?.kind === "event" && again.emitted[0].id,
      emitted?.kind === "event" && emitted.id,
    );
  });

  it("webhook actions become deliveries with the rendered request", () => {
    const journey: JourneyDefinition = {
      id: "j",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: {
          actions: [
            {
              webhook: {
                url: "https://crm.example/{{ user.id }}",
                body: { total: "{{ event.properties.total }}" },
              },
            },
          ],
        },
      },
    };
    const user = new UserDriver(catalogOf([journey]));
    user.event("go", { total: 12 });
    assert.equal(user.deliveries[0]?.channel, "webhook");
    assert.equal(user.deliveries[0]?.payload.url, "https://crm.example/u1");
    assert.deepEqual(user.deliveries[0]?.payload.body, { total: "12" });
  });
});

describe("advance: at local time (DST-correct)", () => {
  const journey: JourneyDefinition = {
    id: "nine",
    entry: { event: "go" },
    settings: { timezone: "America/New_York" },
    start: "a",
    nodes: { a: { edges: [{ to: "b", when: { at: { localTime: "09:00" } } }] }, b: {} },
  };

  it("waits until the next 09:00 in the journey's default timezone", () => {
    const user = new UserDriver(catalogOf([journey]), "u1", Date.UTC(2026, 0, 5, 20, 0)); // 15:00 New York
    user.event("go");
    assert.equal([...user.timers.values()][0]?.due, Date.UTC(2026, 0, 6, 14, 0));
  });

  it("uses the user's timezone when the profile has one", () => {
    const user = new UserDriver(catalogOf([journey]), "u1", Date.UTC(2026, 0, 5, 20, 0));
    user.identify({ timezone: "Asia/Tokyo" }); // 05:00 next day in Tokyo
    user.event("go");
    assert.equal([...user.timers.values()][0]?.due, Date.UTC(2026, 0, 6, 0, 0));
  });

  it("across the spring-forward change, 09:00 is still 09:00 local", () => {
    // 2026-03-08 is the US DST change: 09:00 EDT = 13:00 UTC.
    const user = new UserDriver(catalogOf([journey]), "u1", Date.UTC(2026, 2, 7, 20, 0));
    user.event("go");
    assert.equal([...user.timers.values()][0]?.due, Date.UTC(2026, 2, 8, 13, 0));
  });

  it("at an attribute date with an offset", () => {
    const renew: JourneyDefinition = {
      id: "renew",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: { edges: [{ to: "b", when: { at: { attribute: "renewalDate", offset: "-3d" } } }] },
        b: {},
      },
    };
    const user = new UserDriver(catalogOf([renew]), "u1", Date.UTC(2026, 0, 1));
    user.identify({ attributes: { renewalDate: "2026-02-01T00:00:00Z" } });
    user.event("go");
    assert.equal([...user.timers.values()][0]?.due, Date.UTC(2026, 0, 29));
  });
});

describe("advance: lifecycle", () => {
  const v1: JourneyDefinition = {
    id: "j",
    entry: { event: "go" },
    start: "a",
    nodes: {
      a: { edges: [{ to: "b", when: { after: "1h" } }] },
      b: { edges: [{ to: "c", when: { after: "1h" } }] },
      c: {},
    },
  };

  it("paused journeys hold users in place; resume re-evaluates them", () => {
    const user = new UserDriver(catalogOf([v1]));
    user.event("go");
    user.catalog = catalogOf([{ definition: v1, status: "paused" }]);
    user.advanceBy(2 * HOUR);
    assert.equal(user.instance("j")?.node, "a");
    user.catalog = catalogOf([v1]);
    user.apply({ kind: "journey-changed", id: "resume", userId: "u1", journeyId: "j" });
    assert.equal(user.instance("j")?.node, "b", "the 1h wait had elapsed: the user moves on resume");
  });

  it("paused journeys take no new entries", () => {
    const user = new UserDriver(catalogOf([{ definition: v1, status: "paused" }]));
    user.event("go");
    assert.equal(user.instances.length, 0);
  });

  it("a new version keeps instances on nodes that still exist", () => {
    const user = new UserDriver(catalogOf([v1]));
    user.event("go");
    const v2 = { ...v1, nodes: { ...v1.nodes, a: { edges: [{ to: "c", when: { after: "2h" } }] } } };
    user.catalog = catalogOf([{ definition: v2, version: 2 }]);
    user.apply({ kind: "journey-changed", id: "pub2", userId: "u1", journeyId: "j" });
    assert.equal(user.instance("j")?.version, 2);
    assert.equal([...user.timers.values()][0]?.due, user.now + 2 * HOUR);
  });

  it("instances on a removed node follow the migrate map, else exit with a reason", () => {
    const mapped = new UserDriver(catalogOf([v1]));
    mapped.event("go");
    const v2: JourneyDefinition = {
      ...v1,
      start: "x",
      nodes: { x: { edges: [{ to: "c", when: { after: "1h" } }] }, c: {} },
      migrate: { a: "x" },
    };
    mapped.catalog = catalogOf([{ definition: v2, version: 2 }]);
    mapped.apply({ kind: "journey-changed", id: "pub2", userId: "u1", journeyId: "j" });
    assert.equal(mapped.instance("j")?.node, "x");
    const dropped = new UserDriver(catalogOf([v1]));
    dropped.event("go");
    const { migrate: _, ...v3 } = v2;
    dropped.catalog = catalogOf([{ definition: v3, version: 3 }]);
    dropped.apply({ kind: "journey-changed", id: "pub3", userId: "u1", journeyId: "j" });
    assert.equal(dropped.instance("j")?.status, "exited");
    assert.match(dropped.instance("j")?.exitReason ?? "", /no longer exists/);
  });

  it("archiving ends active instances", () => {
    const user = new UserDriver(catalogOf([v1]));
    user.event("go");
    user.catalog = catalogOf([{ definition: v1, status: "archived" }]);
    user.apply({ kind: "journey-changed", id: "arch", userId: "u1", journeyId: "j" });
    assert.equal(user.instance("j")?.exitReason, "journey archived");
    assert.equal(user.timers.size, 0);
  });
});

describe("advance: purity", () => {
  function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object") {
      for (const inner of Object.values(value)) deepFreeze(inner);
      Object.freeze(value);
    }
    return value;
  }

  it("does not modify its arguments (frozen state in, new state out)", () => {
    const user = withAddresses(new UserDriver(catalogOf([cart])));
    user.event("cart_updated", { cartId: "c1", total: 80 });
    deepFreeze(user.profile);
    deepFreeze(user.instances);
    user.advanceBy(HOUR);
    user.engage("opened");
    assert.equal(user.instance("cart", "c1")?.node, "done");
  });
});

describe("advance: goal and exit on the same event", () => {
  it("an exit event that is also the goal converts before it exits", () => {
    const user = new UserDriver(catalogOf([cart]));
    user.event("cart_updated", { cartId: "c1", total: 80 });
    user.event("order_completed", { cartId: "c1" });
    const instance = user.instance("cart", "c1");
    assert.equal(instance?.status, "exited");
    assert.ok(instance?.converted);
  });
});

describe("advance: daily loops", () => {
  it("a loop gated by a local time sends once per day, not in a spin", () => {
    const daily: JourneyDefinition = {
      id: "daily",
      entry: { event: "go" },
      start: "a",
      nodes: {
        a: { edges: [{ to: "b", when: { at: { localTime: "09:00" } } }] },
        b: { actions: [{ send: { channel: "sms", content: { text: "morning" } } }], edges: [{ to: "a" }] },
      },
    };
    const user = new UserDriver(catalogOf([daily]), "u1", Date.UTC(2026, 0, 5, 20, 0));
    user.identify({ channels: { sms: { address: "+15550001111" } } });
    user.event("go");
    user.advanceBy(3 * DAY);
    assert.equal(user.sent().length, 3);
    assert.equal(user.instance("daily")?.status, "active");
  });
});

describe("advance: time-based segment entry", () => {
  it("a user who stops ordering enters the win-back journey when the periodic re-evaluation runs", () => {
    const winback: JourneyDefinition = {
      id: "winback",
      entry: { segment: "lapsed", on: "enter" },
      start: "a",
      nodes: { a: { edges: [{ to: "b", when: { after: "1d" } }] }, b: {} },
    };
    const lapsed = {
      id: "lapsed",
      condition: {
        all: [{ performed: { event: "order" } }, { not: { performed: { event: "order", within: "60d" } } }],
      },
    };
    const user = new UserDriver(catalogOf([winback], { segments: [lapsed] }));
    user.event("order");
    user.apply({ kind: "segments", id: "s1", userId: "u1" });
    assert.equal(user.instances.length, 0, "not lapsed the day of the order");
    user.advanceBy(61 * DAY);
    user.apply({ kind: "segments", id: "s2", userId: "u1" });
    assert.equal(user.instance("winback")?.node, "a");
    user.apply({ kind: "segments", id: "s3", userId: "u1" });
    assert.equal(user.instance("winback")?.entries, 1, "staying in the segment is not entering it again");
  });
});

describe("advance: event history modes", () => {
  const journey: JourneyDefinition = {
    id: "j",
    entry: { event: "checkout" },
    start: "a",
    nodes: {
      a: { edges: [{ to: "buyer", when: { performed: { event: "purchase" } } }, { to: "other" }] },
      buyer: {},
      other: {},
    },
  };

  it("referenced (default): events no condition counts change no state, counted ones are recorded", () => {
    const user = new UserDriver(catalogOf([journey]));
    user.event("purchase");
    const before = user.profile;
    const effects = user.event("page_view");
    assert.equal(effects.length, 0, "no profile write for an event nobody counts");
    assert.equal(user.profile, before);
    assert.equal(user.profile?.history.page_view, undefined);
    user.event("checkout");
    assert.equal(user.instance("j")?.node, "buyer");
  });

  it("all: every event is in the history", () => {
    const user = new UserDriver({ ...catalogOf([journey]), history: "all" as const });
    user.event("page_view");
    assert.equal(user.profile?.history.page_view?.total, 1);
  });
});
