import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Issue } from "./issue.js";
import type { Content, JourneyDefinition } from "./model.js";
import {
  type CompiledContent,
  checkContent,
  compileContent,
  createTemplateEngine,
  sampleScope,
  type TemplateScope,
  validateTemplate,
} from "./template.js";

const engine = createTemplateEngine();

const ada: TemplateScope = {
  user: {
    id: "u1",
    timezone: "Europe/Paris",
    firstName: "Ada",
    tier: "gold",
    tags: ["a", "b"],
    address: { city: "Paris" },
  },
  event: { name: "cart_updated", properties: { cartId: "c1", total: 80 } },
  journey: { id: "abandoned-cart", name: "Abandoned cart", version: 3, entry: { properties: { total: 80 } } },
};

const anonymous: TemplateScope = { ...ada, user: { id: "u2" } };

function compiled(content: Content, path = "content"): { content: CompiledContent; issues: Issue[] } {
  const issues: Issue[] = [];
  return { content: compileContent(engine, content, path, issues), issues };
}

function render(text: string, scope: TemplateScope = ada) {
  const { content, issues } = compiled({ text });
  assert.deepEqual(issues, []);
  const result = content.render(scope);
  return { text: result.content.text, missing: result.missing, errors: result.errors };
}

describe("compileContent", () => {
  it("renders user attributes, the current event and the journey", () => {
    const text =
      "{{ user.firstName }} {{ event.name }} {{ event.properties.cartId }} {{ journey.entry.properties.total }} {{ journey.name }} v{{ journey.version }}";
    assert.deepEqual(render(text), {
      text: "Ada cart_updated c1 80 Abandoned cart v3",
      missing: [],
      errors: [],
    });
  });

  it("renders every string in nested objects and arrays, and keeps other values", () => {
    const { content } = compiled({
      title: "Hi {{ user.firstName }}",
      data: { deep: ["{{ user.tier }}", 2, true, null, { url: "https://x/{{ event.properties.cartId }}" }] },
      badge: 1,
    });
    assert.deepEqual(content.render(ada).content, {
      title: "Hi Ada",
      data: { deep: ["gold", 2, true, null, { url: "https://x/c1" }] },
      badge: 1,
    });
  });

  it("returns a fresh top-level object on every render, even for constant content", () => {
    const { content } = compiled({ title: "Hello", body: "World" });
    const first = content.render(ada).content;
    const second = content.render(ada).content;
    assert.deepEqual(first, { title: "Hello", body: "World" });
    assert.notEqual(first, second);
  });

  it("reports syntax errors at the path of the string, once, at compile time", () => {
    const { content, issues } = compiled(
      { title: "ok", data: { list: ["{{ user.firstName "] } },
      "templates.cart-reminder.content",
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.path, "templates.cart-reminder.content.data.list[0]");
    assert.match(issues[0]?.message ?? "", /^invalid Liquid: output "\{\{ user.firstName " not closed/);
    // The broken field renders empty and says why, so the runtime can refuse to send.
    const result = content.render(ada);
    assert.deepEqual(result.content, { title: "ok", data: { list: [""] } });
    assert.equal(result.errors.length, 1);
  });

  it("reports an unknown filter at compile time", () => {
    const { issues } = compiled({ body: "{{ user.firstName | shout }}" });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ["content.body"],
    );
    assert.match(issues[0]?.message ?? "", /undefined filter: shout/);
  });
});

describe("missing variables", () => {
  it("reports an undefined variable and renders it empty", () => {
    assert.deepEqual(render("Hi {{ user.firstName }}!", anonymous), {
      text: "Hi !",
      missing: ["user.firstName"],
      errors: [],
    });
  });

  it("does not report a variable protected by default", () => {
    assert.deepEqual(render('Hi {{ user.firstName | default: "there" }}!', anonymous), {
      text: "Hi there!",
      missing: [],
      errors: [],
    });
  });

  it("does not report a variable tested by if or unless, nor the branch that is not taken", () => {
    const text =
      "{% if user.firstName %}Hi {{ user.firstName }}{% else %}Hello{% endif %}{% unless user.vip %}.{% endunless %}";
    assert.deepEqual(render(text, anonymous), { text: "Hello.", missing: [], errors: [] });
  });

  it("reports each missing variable once, across every field, with its full path", () => {
    const { content } = compiled({
      title: "{{ user.firstName }} {{ user.lastName }}",
      body: "{{ user.firstName }} from {{ user.address.city }}",
    });
    const result = content.render(anonymous);
    assert.deepEqual(result.missing, ["user.firstName", "user.lastName", "user.address.city"]);
    assert.deepEqual(result.content, { title: " ", body: " from " });
  });

  it("reports a missing event when the step was caused by a timer", () => {
    const { event: _event, ...timerScope } = ada;
    assert.deepEqual(render("{{ event.properties.cartId }}", timerScope).missing, [
      "event.properties.cartId",
    ]);
  });

  it("reports a missing loop collection and missing fields of loop items", () => {
    assert.deepEqual(render("{% for t in user.items %}{{ t }}{% endfor %}").missing, ["user.items"]);
    assert.deepEqual(render("{% for t in user.tags %}{{ t.name }}{{ t }}{% endfor %}"), {
      text: "ab",
      missing: ["t.name"],
      errors: [],
    });
  });

  it("reads own properties only", () => {
    assert.deepEqual(render("{{ user.constructor }}{{ user.tags.size }}"), {
      text: "2",
      missing: ["user.constructor"],
      errors: [],
    });
  });

  it("renders the same output as a lenient render, whatever is missing", () => {
    const text =
      "{{ user.a }}-{{ user.b | append: '!' }}-{{ user.firstName }}-{% assign x = user.c %}{{ x }}";
    const result = render(text, { ...anonymous, user: { id: "u", firstName: "Z" } });
    assert.deepEqual(result, { text: "-!-Z-", missing: ["user.a", "user.b"], errors: [] });
  });

  it("stops listing after the configured number of missing variables but still renders", () => {
    const small = createTemplateEngine({ maxMissing: 2 });
    const content = compileContent(
      small,
      { text: "{{ user.a }}{{ user.b }}{{ user.c }}{{ user.firstName }}" },
      "",
      [],
    );
    const result = content.render(ada);
    assert.deepEqual(result.missing, ["user.a", "user.b"]);
    assert.equal(result.content.text, "Ada");
  });
});

describe("sandbox", () => {
  it("refuses include, render and layout at parse time: templates cannot read files", () => {
    for (const text of [
      "{% include 'header' %}",
      "{% render '/etc/passwd' %}",
      "{% layout 'base' %}x",
      "{% liquid include 'x' %}",
    ]) {
      const { issues } = compiled({ text });
      assert.equal(issues.length, 1, text);
      assert.match(
        issues[0]?.message ?? "",
        /is not available: message templates cannot load other templates/,
        text,
      );
    }
  });

  it("refuses the clock: dates of now and today fail to render", () => {
    const result = render('{{ "now" | date: "%Y" }}');
    assert.equal(result.text, "");
    assert.match(result.errors[0] ?? "", /^text: date: "now" reads the clock/);
  });

  it("formats dates from data in UTC, the same on every machine", () => {
    assert.equal(render('{{ "2026-03-02T18:30:00Z" | date: "%Y-%m-%d %H:%M" }}').text, "2026-03-02 18:30");
  });

  it("has no sample filter, which would draw random numbers", () => {
    assert.match(
      compiled({ text: "{{ user.tags | sample }}" }).issues[0]?.message ?? "",
      /undefined filter: sample/,
    );
  });

  it("stops a render that allocates too much", () => {
    const result = render("{% for i in (1..100000000) %}x{% endfor %}");
    assert.equal(result.text, "");
    assert.match(result.errors[0] ?? "", /limit exceeded/);
  });

  it("refuses templates longer than the parse limit", () => {
    const small = createTemplateEngine({ parseLimit: 100 });
    const issues: Issue[] = [];
    compileContent(small, { text: `{{ user.firstName }}${"x".repeat(200)}` }, "content", issues);
    assert.match(issues[0]?.message ?? "", /parse length limit exceeded/);
  });
});

describe("validateTemplate and sampleScope", () => {
  const journey: JourneyDefinition = {
    id: "abandoned-cart",
    name: "Abandoned cart",
    entry: { event: "cart_updated" },
    settings: { timezone: "Europe/Paris" },
    start: "a",
    nodes: { a: {} },
  };

  it("builds a sample scope from the journey", () => {
    assert.deepEqual(sampleScope(journey), {
      user: { id: "sample-user", timezone: "Europe/Paris" },
      event: { name: "cart_updated", properties: {} },
      journey: { id: "abandoned-cart", name: "Abandoned cart", version: 1, entry: { properties: {} } },
    });
  });

  it("treats user attributes, event properties and entry properties as present", () => {
    const template = {
      id: "t",
      channel: "push" as const,
      content: {
        title: "{{ user.firstName }} {{ user.address.city }}",
        body: "{{ event.properties.cartId }} {{ journey.entry.properties.total }} {{ journey.id }} {{ event.name }} {{ user[event.properties.k] }}",
      },
    };
    assert.deepEqual(validateTemplate(engine, template, sampleScope(journey), "templates.t"), []);
  });

  it("reports unknown roots and unknown journey fields, even in branches the sample does not take", () => {
    const template = {
      id: "t",
      channel: "sms" as const,
      content: {
        text: "{{ usr.name }} {{ journey.title }}{% if user.vip %}{{ evnt.x }}{% endif %}{% assign n = 1 %}{{ n }}",
      },
    };
    const issues = validateTemplate(engine, template, sampleScope(journey), "templates.t");
    assert.deepEqual(
      issues.map((issue) => [issue.path, issue.message.slice(0, issue.message.indexOf(":"))]),
      [
        ["templates.t.content.text", '"usr.name" is not defined'],
        ["templates.t.content.text", '"journey.title" is not defined'],
        ["templates.t.content.text", '"evnt.x" is not defined'],
      ],
    );
  });

  it("reports syntax errors and render failures of a template", () => {
    const template = {
      id: "t",
      channel: "email" as const,
      content: { subject: "{% if %}", text: '{{ "today" | date }}' },
    };
    assert.deepEqual(
      validateTemplate(engine, template, sampleScope(), "").map((issue) => issue.path),
      ["content.subject", "content.text"],
    );
  });

  it("checkContent works on inline content under any path", () => {
    const issues = checkContent(
      engine,
      { body: "{{ usr }}" },
      sampleScope(),
      "nodes.a.actions[0].send.content",
    );
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ["nodes.a.actions[0].send.content.body"],
    );
  });
});
