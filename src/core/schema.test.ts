import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import type { Issue } from "./issue.js";
import {
  JourneySchema,
  parseJourney,
  parseSegment,
  parseTemplate,
  SegmentSchema,
  TemplateSchema,
} from "./schema.js";

/** A small valid journey; tests break one thing at a time. */
function journey(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: "cart",
    entry: { event: "cart_updated", key: "properties.cartId" },
    start: "wait",
    nodes: {
      wait: { edges: [{ to: "push", when: { after: "30m" } }] },
      push: {
        actions: [{ send: { channel: "push", template: "cart-reminder" } }],
        edges: [
          { to: "done", when: { message: "opened" } },
          { to: "done", when: { after: "2h" } },
        ],
      },
      done: {},
    },
    ...overrides,
  };
}

function issues(result: { ok: true } | { ok: false; issues: Issue[] }): Issue[] {
  assert.equal(result.ok, false, "expected the definition to be refused");
  return result.ok ? [] : result.issues;
}

function paths(result: { ok: true } | { ok: false; issues: Issue[] }): string[] {
  return issues(result).map((issue) => issue.path);
}

function node(nodeDef: Record<string, unknown>): Record<string, unknown> {
  return journey({ nodes: { wait: nodeDef, push: {}, done: {} } });
}

describe("parseJourney", () => {
  it("accepts the journey of DESIGN.md §2 and returns it unchanged", () => {
    const definition = {
      id: "abandoned-cart",
      name: "Abandoned cart",
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
    const result = parseJourney(definition);
    assert.ok(result.ok);
    assert.deepEqual(result.journey, definition);
  });

  it("accepts every condition kind", () => {
    const when = {
      all: [
        { event: "x", where: { "properties.a": 1 }, sameKey: true },
        { after: "1h30m" },
        { at: { localTime: "09:00" } },
        { at: { attribute: "renewalDate", offset: "-3d" } },
        { user: { tier: "gold" } },
        { segment: "vip" },
        {
          performed: {
            event: "order",
            where: { "properties.total": { $gt: 1 } },
            within: "7d",
            count: { $gte: 2 },
          },
        },
        { performed: { event: "order", count: 3 } },
        { message: "clicked" },
        { split: { percent: 50 } },
        { any: [{ not: { user: { churned: true } } }] },
      ],
    };
    assert.ok(
      parseJourney(
        node({
          actions: [{ send: { channel: "sms", content: { text: "hi" } } }],
          edges: [{ to: "push", when }],
        }),
      ).ok,
    );
  });

  it("reports a condition with no kind key at its path", () => {
    const result = parseJourney(node({ edges: [{ to: "push", when: {} }] }));
    assert.deepEqual(issues(result), [
      {
        path: "nodes.wait.edges[0].when",
        message:
          "a condition has exactly one of event, after, at, user, segment, performed, message, split, all, any, not (found none)",
      },
    ]);
  });

  it("reports a condition with two kind keys, naming both", () => {
    const result = parseJourney(node({ edges: [{ to: "push", when: { after: "1h", event: "x" } }] }));
    const [issue] = issues(result);
    assert.equal(issue?.path, "nodes.wait.edges[0].when");
    assert.match(issue?.message ?? "", /^a condition has exactly one of .* \(found event, after\)$/);
  });

  it("checks nested conditions at their own path", () => {
    const when = { all: [{ after: "1h" }, { any: [{ not: {} }] }] };
    assert.deepEqual(paths(parseJourney(node({ edges: [{ to: "push", when }] }))), [
      "nodes.wait.edges[0].when.all[1].any[0].not",
    ]);
  });

  it("reports an unknown key with the path of that key", () => {
    const result = parseJourney(node({ edges: [{ to: "push", when: { after: "1h" }, lable: "typo" }] }));
    assert.deepEqual(issues(result), [{ path: "nodes.wait.edges[0].lable", message: 'unknown key "lable"' }]);
  });

  it("quotes keys that are not identifiers, such as dotted filter paths", () => {
    const result = parseJourney(
      journey({ entry: { event: "cart_updated", where: { "properties.total": { $gt: undefined } } } }),
    );
    assert.deepEqual(paths(result), ['entry.where["properties.total"].$gt']);
  });

  it("reports every problem at once, in document order", () => {
    const result = parseJourney({
      id: "bad id!",
      entry: { event: "" },
      start: "wait",
      nodes: {
        wait: { edges: [{ to: "push", when: { after: "30 minutes" } }] },
        push: { actions: [{ send: { channel: "fax", template: "t" } }, {}] },
        "no spaces": {},
      },
      settings: { frequencyCap: { max: 0, per: "1d" } },
    });
    assert.deepEqual(issues(result), [
      {
        path: "id",
        message: "an id is 1 to 128 letters, digits, _ . : or -, starting with a letter or a digit",
      },
      { path: "entry.event", message: "must not be empty" },
      { path: "settings.frequencyCap.max", message: "must be >= 1" },
      {
        path: "nodes.wait.edges[0].when.after",
        message: "a duration is a number and a unit (ms, s, m, h, d, w), e.g. 30m, 2h, 1h30m",
      },
      {
        path: "nodes.push.actions[0].send.channel",
        message: "channel is one of push, email, sms, whatsapp, slack, webhook",
      },
      {
        path: "nodes.push.actions[1]",
        message: "an action has exactly one of send, update, webhook, emit (found none)",
      },
      {
        path: 'nodes["no spaces"]',
        message:
          "invalid key: an id is 1 to 128 letters, digits, _ . : or -, starting with a letter or a digit",
      },
    ]);
  });

  it("names missing required fields and wrong types plainly", () => {
    const result = parseJourney({
      id: "j",
      entry: { event: "e" },
      nodes: { a: { edges: [{ when: { after: "1h" } }] } },
      start: 3,
    });
    assert.deepEqual(issues(result), [
      { path: "start", message: "expected a string, got number 3" },
      { path: "nodes.a.edges[0].to", message: "required (a string)" },
    ]);
  });

  it("refuses a non-object definition at the root path", () => {
    assert.deepEqual(issues(parseJourney([])), [{ path: "", message: "expected an object, got an array" }]);
  });

  it("checks local times, offsets and split percents by shape", () => {
    const when = {
      all: [
        { at: { localTime: "9:00" } },
        { at: { attribute: "renewal", offset: "3 days" } },
        { split: { percent: 0 } },
      ],
    };
    assert.deepEqual(paths(parseJourney(node({ edges: [{ to: "push", when }] }))), [
      "nodes.wait.edges[0].when.all[0].at.localTime",
      "nodes.wait.edges[0].when.all[1].at.offset",
      "nodes.wait.edges[0].when.all[2].split.percent",
    ]);
  });

  it("accepts an at with exactly one of localTime or attribute", () => {
    const when = { at: { localTime: "09:00", attribute: "birthday" } };
    const [issue] = issues(parseJourney(node({ edges: [{ to: "push", when }] })));
    assert.equal(issue?.path, "nodes.wait.edges[0].when.at");
    assert.match(issue?.message ?? "", /at has exactly one of localTime, attribute/);
  });

  it("keeps where and sameKey next to event", () => {
    const result = parseJourney(node({ edges: [{ to: "push", when: { after: "1h", sameKey: true } }] }));
    assert.deepEqual(issues(result), [
      { path: "nodes.wait.edges[0].when.sameKey", message: "sameKey only goes with event" },
    ]);
  });

  it("explains a performed count that is not numeric at the operator", () => {
    const when = { performed: { event: "order", count: { $gte: "2" } } };
    assert.deepEqual(issues(parseJourney(node({ edges: [{ to: "push", when }] }))), [
      {
        path: "nodes.wait.edges[0].when.performed.count.$gte",
        message: 'expected a number, got the string "2"',
      },
    ]);
  });

  it("explains a reentry that is neither a mode nor { after }", () => {
    const result = parseJourney(journey({ entry: { event: "e", reentry: "sometimes" } }));
    assert.deepEqual(issues(result), [
      { path: "entry.reentry", message: 'reentry is "never", "always" or { "after": duration }' },
    ]);
  });

  it("reports the precise problem inside { after } reentry", () => {
    const result = parseJourney(journey({ entry: { event: "e", reentry: { after: "soon" } } }));
    assert.deepEqual(paths(result), ["entry.reentry.after"]);
  });

  it("requires an entry of exactly one kind, with its companions", () => {
    assert.deepEqual(paths(parseJourney(journey({ entry: { event: "e", segment: "vip", on: "enter" } }))), [
      "entry",
    ]);
    assert.deepEqual(issues(parseJourney(journey({ entry: { segment: "vip" } }))), [
      { path: "entry.on", message: 'a segment entry needs "on": "enter"' },
    ]);
    assert.deepEqual(
      paths(parseJourney(journey({ entry: { segment: "vip", on: "enter", key: "properties.id" } }))),
      ["entry.key"],
    );
    assert.ok(
      parseJourney(journey({ entry: { api: true, key: "properties.orderId", reentry: "always" } })).ok,
    );
  });

  it("checks inline content against the send's channel", () => {
    const send = { channel: "email", content: { subject: "Hi", body: "x" } };
    assert.deepEqual(issues(parseJourney(node({ actions: [{ send }] }))), [
      { path: "nodes.wait.actions[0].send.content.body", message: 'unknown key "body"' },
      { path: "nodes.wait.actions[0].send.content", message: "an email needs html or text (or both)" },
    ]);
  });

  it("requires exactly one of template or content in a send", () => {
    const [issue] = issues(parseJourney(node({ actions: [{ send: { channel: "push" } }] })));
    assert.deepEqual(issue, {
      path: "nodes.wait.actions[0].send",
      message: "a send has exactly one of template, content (found none)",
    });
  });

  it("accepts settings.requireTimeouts", () => {
    assert.ok(parseJourney(journey({ settings: { requireTimeouts: true, timezone: "Europe/Paris" } })).ok);
  });
});

describe("parseTemplate", () => {
  it("accepts each channel's content", () => {
    const contents: [string, Record<string, unknown>][] = [
      [
        "push",
        {
          title: "Hi",
          body: "{{ user.firstName }}",
          data: { a: 1 },
          imageUrl: "https://x/i.png",
          url: "https://x",
        },
      ],
      ["email", { subject: "Hi", text: "body", from: "a@x", replyTo: "b@x" }],
      ["email", { subject: "Hi", html: "<p>x</p>" }],
      ["sms", { text: "hi" }],
      ["whatsapp", { template: "HX0123", variables: ["{{ user.firstName }}"] }],
      ["whatsapp", { template: "welcome", variables: { name: "{{ user.firstName }}" } }],
      ["whatsapp", { text: "hi" }],
      ["slack", { text: "hi", blocks: [{ type: "section" }] }],
      ["webhook", { anything: ["goes", 1, { nested: true }] }],
    ];
    for (const [channel, content] of contents) {
      const result = parseTemplate({ id: "t", channel, content });
      assert.ok(result.ok, `${channel}: ${JSON.stringify(!result.ok && result.issues)}`);
    }
  });

  it("refuses whatsapp content with both a template and text", () => {
    const result = parseTemplate({ id: "t", channel: "whatsapp", content: { template: "x", text: "y" } });
    assert.deepEqual(paths(result), ["content"]);
  });

  it("refuses variables without a whatsapp template", () => {
    const result = parseTemplate({ id: "t", channel: "whatsapp", content: { text: "y", variables: ["a"] } });
    assert.deepEqual(issues(result), [
      { path: "content.variables", message: "variables only goes with template" },
    ]);
  });

  it("reports a missing push title and an unknown channel", () => {
    assert.deepEqual(issues(parseTemplate({ id: "t", channel: "push", content: { body: "x" } })), [
      { path: "content.title", message: "required (a string)" },
    ]);
    assert.deepEqual(paths(parseTemplate({ id: "t", channel: "pigeon", content: {} })), ["channel"]);
  });
});

describe("parseSegment", () => {
  it("accepts a saved condition", () => {
    const result = parseSegment({ id: "vip", name: "VIP", condition: { user: { spend: { $gte: 1000 } } } });
    assert.ok(result.ok);
    assert.equal(result.segment.id, "vip");
  });

  it("reports condition problems under condition", () => {
    assert.deepEqual(paths(parseSegment({ id: "vip", condition: { any: [] } })), ["condition.any"]);
  });
});

describe("JSON Schema", () => {
  it("converts the journey, template and segment schemas for the OpenAPI document", () => {
    for (const schema of [JourneySchema, TemplateSchema, SegmentSchema]) {
      const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" });
      assert.equal(typeof json, "object");
    }
    const journeyJson = JSON.stringify(
      z.toJSONSchema(JourneySchema, { target: "draft-2020-12", io: "input" }),
    );
    assert.match(journeyJson, /"Condition"/);
    assert.match(journeyJson, /"required":\["localTime"\]/);
  });
});
