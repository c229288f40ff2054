import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Issue } from "./issue.js";
import type {
  Condition,
  JourneyDefinition,
  JourneyNode,
  SegmentDefinition,
  TemplateDefinition,
} from "./model.js";
import { createTemplateEngine } from "./template.js";
import { isGated, needsInput, validateJourney, validateSegment } from "./validate.js";

const templates = new Map<string, TemplateDefinition>([
  [
    "cart-reminder",
    { id: "cart-reminder", channel: "push", content: { title: "Cart", body: "Hi {{ user.firstName }}" } },
  ],
  ["cart-email", { id: "cart-email", channel: "email", content: { subject: "Cart", text: "Hi" } }],
]);
const segments = new Map<string, SegmentDefinition>([
  ["vip", { id: "vip", condition: { user: { spend: { $gte: 1000 } } } }],
]);
const engine = createTemplateEngine();

/** The abandoned-cart journey of DESIGN.md §2: valid; each test breaks one thing. */
function cart(change: (journey: JourneyDefinition) => void = () => {}): JourneyDefinition {
  const journey: JourneyDefinition = {
    id: "abandoned-cart",
    entry: {
      event: "cart_updated",
      where: { "properties.total": { $gt: 50 } },
      key: "properties.cartId",
      reentry: { after: "1d" },
    },
    exit: [{ event: "order_completed", sameKey: true }],
    goal: { event: "order_completed", within: "3d" },
    settings: { quietHours: { from: "21:00", to: "08:00" }, frequencyCap: { max: 3, per: "1d" } },
    start: "wait",
    nodes: {
      wait: { edges: [{ to: "push", when: { after: "30m" } }] },
      push: {
        actions: [{ send: { channel: "push", template: "cart-reminder" } }],
        edges: [
          { to: "done", when: { message: "opened" } },
          { to: "email", when: { after: "2h" } },
        ],
      },
      email: { actions: [{ send: { channel: "email", template: "cart-email" } }] },
      done: {},
    },
  };
  change(journey);
  return journey;
}

function validate(journey: JourneyDefinition): Issue[] {
  return validateJourney(journey, { templates, segments, engine });
}

function paths(journey: JourneyDefinition): string[] {
  return validate(journey).map((issue) => issue.path);
}

/** A journey whose `loop` node has the given edges, reached from `start`. */
function graph(
  nodes: { [id: string]: JourneyNode },
  settings: JourneyDefinition["settings"] = {},
): JourneyDefinition {
  return { id: "g", entry: { event: "go" }, settings, start: "a", nodes };
}

function node(nodes: JourneyDefinition["nodes"], id: string): JourneyNode {
  const found = nodes[id];
  assert.ok(found, `no node ${id}`);
  return found;
}

describe("validateJourney", () => {
  it("finds nothing wrong with the DESIGN.md journey", () => {
    assert.deepEqual(validate(cart()), []);
  });

  it("accepts template and segment references given as id sets", () => {
    const issues = validateJourney(cart(), {
      templates: new Set(["cart-reminder", "cart-email"]),
      segments: new Set(),
    });
    assert.deepEqual(issues, []);
  });

  describe("node references", () => {
    it("reports a start node that does not exist, suggesting a close one", () => {
      assert.deepEqual(
        validate(cart((j) => (j.start = "wiat"))).find((issue) => issue.path === "start"),
        { path: "start", message: 'unknown node "wiat" (did you mean "wait"?)' },
      );
    });

    it("reports an edge to a node that does not exist", () => {
      const journey = cart((j) => (node(j.nodes, "push").edges = [{ to: "nowhere", when: { after: "2h" } }]));
      assert.deepEqual(paths(journey), ["nodes.push.edges[0].to", "nodes.email", "nodes.done"]);
    });

    it("reports a migrate target that does not exist", () => {
      assert.deepEqual(paths(cart((j) => (j.migrate = { "old-push": "emial" }))), ["migrate.old-push"]);
    });

    it("counts migrate targets as reachable", () => {
      const journey = cart((j) => {
        j.nodes.legacy = {};
        j.migrate = { "old-node": "legacy" };
      });
      assert.deepEqual(validate(journey), []);
    });
  });

  describe("reachability", () => {
    it("reports a node no edge from the start leads to", () => {
      const journey = cart(
        (j) => (j.nodes.orphan = { actions: [{ send: { channel: "push", template: "cart-reminder" } }] }),
      );
      assert.deepEqual(validate(journey), [
        { path: "nodes.orphan", message: 'unreachable: no edge from the start node "wait" leads here' },
      ]);
    });

    it("reports an edge hidden behind an edge without a condition", () => {
      const journey = cart(
        (j) => (node(j.nodes, "push").edges = [{ to: "done" }, { to: "email", when: { after: "2h" } }]),
      );
      assert.deepEqual(validate(journey).slice(0, 1), [
        {
          path: "nodes.push.edges[1]",
          message: "never taken: edge 0 has no condition and always holds first",
        },
      ]);
    });
  });

  describe("loops without waiting", () => {
    it("reports a loop whose edges have no condition", () => {
      const journey = graph({ a: { edges: [{ to: "b" }] }, b: { edges: [{ to: "a" }] } });
      assert.deepEqual(validate(journey), [
        {
          path: "nodes.a.edges[0]",
          message:
            "users can loop a → b → a without waiting: give one of these edges an after, at (localTime), event or message condition",
        },
      ]);
    });

    it("reports a node that leads to itself immediately", () => {
      const journey = graph({
        a: {
          edges: [
            { to: "a", when: { user: { vip: true } } },
            { to: "b", when: { after: "1d" } },
          ],
        },
        b: {},
      });
      assert.deepEqual(paths(journey), ["nodes.a.edges[0]"]);
    });

    it("accepts a loop with one edge waiting on time", () => {
      const journey = graph({
        a: { edges: [{ to: "b", when: { after: "1d" } }] },
        b: { edges: [{ to: "a" }] },
      });
      assert.deepEqual(validate(journey), []);
    });

    it("accepts a loop gated by an event, a message, or at a local time", () => {
      const gates: Condition[] = [{ event: "ping" }, { at: { localTime: "09:00" } }];
      for (const when of gates) {
        assert.deepEqual(
          validate(graph({ a: { edges: [{ to: "b", when }] }, b: { edges: [{ to: "a" }] } })),
          [],
          JSON.stringify(when),
        );
      }
      const sending = graph({
        a: {
          actions: [{ send: { channel: "push", template: "cart-reminder" } }],
          edges: [{ to: "b", when: { message: "opened" } }],
        },
        b: { edges: [{ to: "a" }] },
      });
      assert.deepEqual(validate(sending), []);
    });

    it("counts a gate inside all, but inside any only when every branch waits", () => {
      const loop = (when: Condition) =>
        graph({ a: { edges: [{ to: "b", when }] }, b: { edges: [{ to: "a" }] } });
      assert.deepEqual(paths(loop({ all: [{ user: { vip: true } }, { after: "1h" }] })), []);
      assert.deepEqual(paths(loop({ any: [{ event: "x" }, { after: "1h" }] })), []);
      assert.deepEqual(paths(loop({ any: [{ user: { vip: true } }, { after: "1h" }] })), [
        "nodes.a.edges[0]",
      ]);
    });

    it("does not count a negated gate, a zero wait or a date attribute as waiting", () => {
      const loop = (when: Condition) =>
        graph({ a: { edges: [{ to: "b", when }] }, b: { edges: [{ to: "a" }] } });
      assert.deepEqual(paths(loop({ not: { event: "x" } })), ["nodes.a.edges[0]"]);
      assert.deepEqual(paths(loop({ after: "0s" })), ["nodes.a.edges[0].when.after", "nodes.a.edges[0]"]);
      // A fixed moment in the past holds on every arrival.
      assert.deepEqual(paths(loop({ at: { attribute: "renewalDate" } })), ["nodes.a.edges[0]"]);
    });

    it("finds a loop reached through an ungated side path even when another path waits", () => {
      const journey = graph({
        a: {
          edges: [
            { to: "b", when: { event: "x" } },
            { to: "c", when: { user: { vip: true } } },
          ],
        },
        b: { edges: [{ to: "a" }] },
        c: { edges: [{ to: "a" }] },
      });
      assert.deepEqual(paths(journey), ["nodes.a.edges[1]"]);
    });
  });

  describe("requireTimeouts", () => {
    const waiting = (settings: JourneyDefinition["settings"]) =>
      graph(
        {
          a: {
            actions: [{ send: { channel: "push", template: "cart-reminder" } }],
            edges: [
              { to: "b", when: { message: "opened" } },
              { to: "b", when: { event: "bought" } },
            ],
          },
          b: {},
        },
        settings,
      );

    it("reports a node where every edge waits for an event or message when the journey asks", () => {
      const issues = validate(waiting({ requireTimeouts: true }));
      assert.deepEqual(
        issues.map((issue) => issue.path),
        ["nodes.a.edges"],
      );
      assert.match(issues[0]?.message ?? "", /add a timeout edge/);
    });

    it("says nothing when the journey does not ask", () => {
      assert.deepEqual(validate(waiting({})), []);
    });

    it("is satisfied by a time edge", () => {
      const journey = waiting({ requireTimeouts: true });
      node(journey.nodes, "a").edges?.push({ to: "b", when: { after: "3d" } });
      assert.deepEqual(validate(journey), []);
    });
  });

  describe("entry, exit and goal", () => {
    it("reports an entry segment that does not exist", () => {
      const journey = cart((j) => (j.entry = { segment: "vipp", on: "enter" }));
      const issues = validate(journey);
      assert.deepEqual(issues[0], {
        path: "entry.segment",
        message: 'unknown segment "vipp" (did you mean "vip"?)',
      });
    });

    it("reports an empty entry event name", () => {
      assert.deepEqual(paths(cart((j) => (j.entry = { event: " ", key: "properties.cartId" }))), [
        "entry.event",
      ]);
    });

    it("reports an entry filter that does not compile, at the operator", () => {
      const journey = cart(
        (j) =>
          (j.entry = {
            event: "cart_updated",
            key: "properties.cartId",
            where: { "properties.total": { $gtt: 5 } },
          }),
      );
      assert.deepEqual(validate(journey), [
        { path: 'entry.where["properties.total"].$gtt', message: "unknown operator $gtt" },
      ]);
    });

    it("reports a malformed correlation key", () => {
      assert.deepEqual(paths(cart((j) => (j.entry = { event: "e", key: "properties..id" }))), ["entry.key"]);
    });

    it("reports sameKey when the entry has no key", () => {
      const journey = cart((j) => (j.entry = { event: "cart_updated" }));
      assert.deepEqual(paths(journey), ["exit[0].sameKey"]);
      journey.goal = { event: "order_completed", sameKey: true };
      node(journey.nodes, "wait").edges = [
        { to: "push", when: { any: [{ after: "30m" }, { event: "x", sameKey: true }] } },
      ];
      assert.deepEqual(paths(journey), [
        "exit[0].sameKey",
        "goal.sameKey",
        "nodes.wait.edges[0].when.any[1].sameKey",
      ]);
    });

    it("checks the reentry delay and the goal window", () => {
      const journey = cart((j) => {
        j.entry = { event: "e", reentry: { after: "1 day" } };
        j.exit = [];
        j.goal = { event: "order_completed", within: "0d" };
      });
      assert.deepEqual(paths(journey), ["entry.reentry.after", "goal.within"]);
    });

    it("reports an audience filter that does not compile and conditions that cannot apply at entry", () => {
      const journey = cart(
        (j) =>
          (j.audience = { all: [{ user: { age: { $gt: [1] } } }, { after: "1h" }, { message: "opened" }] }),
      );
      assert.deepEqual(paths(journey), [
        "audience.all[0].user.age.$gt",
        "audience.all[1].after",
        "audience.all[2].message",
      ]);
    });

    it("reports a loop of emits: the journey's own entry event with reentry always", () => {
      const journey = cart((j) => {
        j.entry = { event: "ping", reentry: "always" };
        j.exit = [];
        node(j.nodes, "done").actions = [{ emit: { event: "ping" } }];
      });
      assert.deepEqual(paths(journey), ["nodes.done.actions[0].emit.event"]);
    });
  });

  describe("durations, local times and timezones", () => {
    it("reports a duration that does not parse on an edge", () => {
      const journey = cart(
        (j) => (node(j.nodes, "wait").edges = [{ to: "push", when: { after: "30 min" } }]),
      );
      assert.deepEqual(paths(journey), ["nodes.wait.edges[0].when.after"]);
    });

    it("reports local times and offsets that do not parse", () => {
      const when: Condition = {
        any: [{ at: { localTime: "25:00" } }, { at: { attribute: "renewalDate", offset: "-3 days" } }],
      };
      const journey = cart((j) => (node(j.nodes, "wait").edges = [{ to: "push", when }]));
      assert.deepEqual(paths(journey), [
        "nodes.wait.edges[0].when.any[0].at.localTime",
        "nodes.wait.edges[0].when.any[1].at.offset",
      ]);
    });

    it("accepts a negative offset", () => {
      const journey = cart(
        (j) =>
          (node(j.nodes, "wait").edges = [
            { to: "push", when: { at: { attribute: "renewalDate", offset: "-3d" } } },
          ]),
      );
      assert.deepEqual(validate(journey), []);
    });

    it("reports an unknown timezone and bad quiet hours", () => {
      const journey = cart(
        (j) => (j.settings = { timezone: "Mars/Olympus", quietHours: { from: "21h", to: "21h" } }),
      );
      assert.deepEqual(paths(journey), [
        "settings.timezone",
        "settings.quietHours.from",
        "settings.quietHours.to",
      ]);
      const empty = cart((j) => (j.settings = { quietHours: { from: "21:00", to: "21:00" } }));
      assert.deepEqual(paths(empty), ["settings.quietHours"]);
    });

    it("reports a frequency cap below 1 and windows that are not positive", () => {
      const journey = cart(
        (j) => (j.settings = { frequencyCap: { max: 0, per: "0h" }, maxMessageAge: "-1h" }),
      );
      assert.deepEqual(paths(journey), [
        "settings.frequencyCap.max",
        "settings.frequencyCap.per",
        "settings.maxMessageAge",
      ]);
    });
  });

  describe("conditions", () => {
    const on = (when: Condition, sends = false) =>
      cart((j) => {
        j.nodes.wait = {
          ...(sends ? { actions: [{ send: { channel: "push", template: "cart-reminder" } }] } : {}),
          edges: [
            { to: "push", when },
            { to: "push", when: { after: "1d" } },
          ],
        };
      });

    it("compiles user filters at their path", () => {
      assert.deepEqual(validate(on({ user: { tier: { $in: "gold" } } })), [
        { path: "nodes.wait.edges[0].when.user.tier.$in", message: "$in needs an array" },
      ]);
    });

    it("reports an unknown segment", () => {
      assert.deepEqual(paths(on({ segment: "whales" })), ["nodes.wait.edges[0].when.segment"]);
    });

    it("accepts a performed count as a number or a numeric filter, and nothing else", () => {
      assert.deepEqual(validate(on({ performed: { event: "order", count: 2 } })), []);
      assert.deepEqual(validate(on({ performed: { event: "order", count: { $gte: 2, $lt: 5 } } })), []);
      assert.deepEqual(paths(on({ performed: { event: "order", count: { $regex: "2" } } })), [
        "nodes.wait.edges[0].when.performed.count.$regex",
      ]);
      assert.deepEqual(paths(on({ performed: { event: "order", count: "2" } })), [
        "nodes.wait.edges[0].when.performed.count",
      ]);
      assert.deepEqual(paths(on({ performed: { event: "order", count: 1.5 } })), [
        "nodes.wait.edges[0].when.performed.count",
      ]);
    });

    it("checks performed filters and windows", () => {
      const when: Condition = {
        performed: { event: "order", where: { total: { $bad: 1 } }, within: "forever" },
      };
      assert.deepEqual(paths(on(when)), [
        "nodes.wait.edges[0].when.performed.where.total.$bad",
        "nodes.wait.edges[0].when.performed.within",
      ]);
    });

    it("allows message conditions only on a node that sends", () => {
      assert.deepEqual(paths(on({ message: "clicked" })), ["nodes.wait.edges[0].when.message"]);
      assert.deepEqual(validate(on({ message: "clicked" }, true)), []);
    });

    it("requires split percents in (0, 100] that add up to at most 100 per node", () => {
      assert.deepEqual(paths(on({ split: { percent: 0 } })), ["nodes.wait.edges[0].when.split.percent"]);
      assert.deepEqual(paths(on({ split: { percent: 101 } })), [
        "nodes.wait.edges[0].when.split.percent",
        "nodes.wait.edges",
      ]);
      const journey = graph({
        a: {
          edges: [
            { to: "b", when: { split: { percent: 60 } } },
            { to: "b", when: { all: [{ user: { vip: true } }, { split: { percent: 50 } }] } },
            { to: "b" },
          ],
        },
        b: {},
      });
      assert.deepEqual(validate(journey), [
        { path: "nodes.a.edges", message: "split percents add up to 110, more than 100" },
      ]);
    });
  });

  describe("actions", () => {
    const sending = (send: Record<string, unknown>) =>
      cart(
        (j) =>
          (node(j.nodes, "email").actions = [
            { send } as unknown as NonNullable<JourneyNode["actions"]>[number],
          ]),
      );

    it("reports an unknown template", () => {
      assert.deepEqual(validate(sending({ channel: "email", template: "cart-emial" })), [
        {
          path: "nodes.email.actions[0].send.template",
          message: 'unknown template "cart-emial" (did you mean "cart-email"?)',
        },
      ]);
    });

    it("reports a template of another channel", () => {
      assert.deepEqual(validate(sending({ channel: "sms", template: "cart-email" })), [
        {
          path: "nodes.email.actions[0].send.template",
          message: 'template "cart-email" is for email, but this send is on sms',
        },
      ]);
    });

    it("requires exactly one of template or content", () => {
      const both = sending({
        channel: "email",
        template: "cart-email",
        content: { subject: "x", text: "y" },
      });
      assert.deepEqual(paths(both), ["nodes.email.actions[0].send"]);
      assert.deepEqual(paths(sending({ channel: "email" })), ["nodes.email.actions[0].send"]);
    });

    it("checks the Liquid of inline content at the string's path", () => {
      const send = {
        channel: "email",
        content: { subject: "Hi {{ user.firstName", text: "{{ usr.firstName }}" },
      };
      assert.deepEqual(paths(sending(send)), [
        "nodes.email.actions[0].send.content.subject",
        "nodes.email.actions[0].send.content.text",
      ]);
    });

    it("checks webhook URLs and their Liquid", () => {
      const journey = cart(
        (j) =>
          (node(j.nodes, "done").actions = [
            { webhook: { url: "ftp://example.com", body: { a: "{% if %}" } } },
          ]),
      );
      assert.deepEqual(paths(journey), [
        "nodes.done.actions[0].webhook.url",
        "nodes.done.actions[0].webhook.body.a",
      ]);
      const templated = cart(
        (j) => (node(j.nodes, "done").actions = [{ webhook: { url: "{{ user.webhookUrl }}" } }]),
      );
      assert.deepEqual(validate(templated), []);
    });

    it("reports an update that changes nothing", () => {
      const journey = cart((j) => (node(j.nodes, "done").actions = [{ update: {} }]));
      assert.deepEqual(paths(journey), ["nodes.done.actions[0].update"]);
    });
  });

  it("reports every problem of a journey at once", () => {
    const journey = cart((j) => {
      j.start = "nope";
      j.settings = { timezone: "Nowhere" };
      node(j.nodes, "wait").edges = [{ to: "push", when: { after: "soon" } }];
      node(j.nodes, "email").actions = [{ send: { channel: "email", template: "missing" } }];
    });
    assert.deepEqual(paths(journey), [
      "settings.timezone",
      "nodes.wait.edges[0].when.after",
      "nodes.email.actions[0].send.template",
      "start",
    ]);
  });
});

describe("validateSegment", () => {
  it("accepts a segment built from other segments", () => {
    const big = {
      id: "big",
      condition: { any: [{ segment: "vip" }, { performed: { event: "order", count: 10 } }] },
    };
    assert.deepEqual(validateSegment(big, { segments }), []);
  });

  it("reports segments that refer to each other in a loop", () => {
    const a: SegmentDefinition = { id: "a", condition: { all: [{ user: { x: 1 } }, { segment: "b" }] } };
    const b: SegmentDefinition = { id: "b", condition: { not: { segment: "a" } } };
    const refs = { segments: new Map([["b", b]]) };
    assert.deepEqual(validateSegment(a, refs), [
      { path: "condition.all[1].segment", message: "segments refer to each other in a loop: a → b → a" },
    ]);
  });

  it("refuses conditions that need a node or a current event", () => {
    const segment: SegmentDefinition = {
      id: "s",
      condition: { any: [{ after: "1d" }, { event: "x" }, { message: "opened" }, { segment: "ghost" }] },
    };
    assert.deepEqual(
      validateSegment(segment, { segments }).map((issue) => issue.path),
      ["condition.any[0].after", "condition.any[1]", "condition.any[2].message", "condition.any[3].segment"],
    );
  });
});

describe("gates", () => {
  it("isGated: a condition that cannot hold on arrival", () => {
    assert.equal(isGated(undefined), false);
    assert.equal(isGated({ after: "1m" }), true);
    assert.equal(isGated({ message: "opened" }), true);
    assert.equal(isGated({ user: { a: 1 } }), false);
    assert.equal(isGated({ all: [{ split: { percent: 10 } }, { event: "x" }] }), true);
    assert.equal(isGated({ any: [{ event: "x" }, { segment: "vip" }] }), false);
    assert.equal(isGated({ not: { after: "1h" } }), false);
  });

  it("needsInput: a condition only an event or a message can satisfy", () => {
    assert.equal(needsInput({ event: "x" }), true);
    assert.equal(needsInput({ after: "1h" }), false);
    assert.equal(needsInput({ all: [{ after: "1h" }, { event: "x" }] }), true);
    assert.equal(needsInput({ any: [{ after: "1h" }, { event: "x" }] }), false);
  });
});
