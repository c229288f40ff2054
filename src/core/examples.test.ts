import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { JourneyDefinition, SegmentDefinition, TemplateDefinition } from "./model.js";
import { parseJourney, parseSegment, parseTemplate } from "./schema.js";
import { createTemplateEngine, sampleScope, validateTemplate } from "./template.js";
import { catalogOf, HOUR, MINUTE, UserDriver } from "./testing/harness.js";
import { validateJourney, validateSegment } from "./validate.js";

/** The journeys in examples/ are what a new user loads first: each must parse and publish cleanly. */

const examples = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "examples");

function jsonFiles(dir: string): { file: string; json: unknown }[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => ({ file: name, json: JSON.parse(readFileSync(join(dir, name), "utf8")) as unknown }));
}

const engine = createTemplateEngine();

const templates = new Map<string, TemplateDefinition>();
const segments = new Map<string, SegmentDefinition>();

describe("examples/templates", () => {
  for (const { file, json } of jsonFiles(join(examples, "templates"))) {
    it(`${file} is a valid template named after its file`, () => {
      const parsed = parseTemplate(json);
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.issues));
      assert.equal(`${parsed.template.id}.json`, file);
      assert.deepEqual(
        validateTemplate(engine, parsed.template, sampleScope(), `templates.${parsed.template.id}`),
        [],
      );
      templates.set(parsed.template.id, parsed.template);
    });
  }
});

describe("examples/segments", () => {
  for (const { file, json } of jsonFiles(join(examples, "segments"))) {
    it(`${file} is a valid segment named after its file`, () => {
      const parsed = parseSegment(json);
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.issues));
      assert.equal(`${parsed.segment.id}.json`, file);
      segments.set(parsed.segment.id, parsed.segment);
    });
  }
  it("every segment validates against the others", () => {
    for (const segment of segments.values()) assert.deepEqual(validateSegment(segment, { segments }), []);
  });
});

describe("examples", () => {
  const journeys = jsonFiles(examples);

  it("include the four documented journeys", () => {
    const names = journeys.map(({ file }) => file);
    for (const name of [
      "abandoned-cart.json",
      "onboarding-drip.json",
      "club-welcome.json",
      "win-back.json",
    ]) {
      assert.ok(names.includes(name), `${name} is missing`);
    }
  });

  for (const { file, json } of journeys) {
    it(`${file} parses and validates with no issue`, () => {
      const parsed = parseJourney(json);
      assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.issues));
      assert.equal(`${parsed.journey.id}.json`, file);
      assert.deepEqual(validateJourney(parsed.journey, { templates, segments, engine }), []);
    });
  }
});

describe("examples behave as their README says", () => {
  const load = (file: string): JourneyDefinition => {
    const parsed = parseJourney(JSON.parse(readFileSync(join(examples, file), "utf8")));
    assert.ok(parsed.ok);
    return parsed.journey;
  };
  const allTemplates = () =>
    jsonFiles(join(examples, "templates")).map(({ json }) => {
      const parsed = parseTemplate(json);
      assert.ok(parsed.ok);
      return parsed.template;
    });

  it("onboarding drip sends at 09:00 New York time on days 0, 1, 3 and 7 (across the DST change)", () => {
    const catalog = catalogOf([load("onboarding-drip.json")], { templates: allTemplates() });
    // Monday 2 March 2026, 13:30 in New York: the next 09:00 is the next morning.
    const user = new UserDriver(catalog, "ada", Date.UTC(2026, 2, 2, 18, 30));
    user.identify({
      attributes: { firstName: "Ada" },
      channels: { push: { address: "tok" }, email: { address: "ada@example.com" } },
    });
    user.event("signup");
    user.advanceBy(10 * 24 * HOUR);
    const sent = user.sent().map((d) => `${d.nodeId} ${new Date(d.createdAt).toISOString()}`);
    assert.deepEqual(sent, [
      "welcome 2026-03-03T14:00:00.000Z",
      "tips 2026-03-04T14:00:00.000Z",
      "nudge 2026-03-06T14:00:00.000Z",
      // Clocks went forward on 8 March: 09:00 EDT is 13:00 UTC.
      "recap 2026-03-10T13:00:00.000Z",
    ]);
  });

  it("abandoned cart pushes after 30 minutes and emails 2 hours later when the push is not opened", () => {
    const catalog = catalogOf([load("abandoned-cart.json")], { templates: allTemplates() });
    const user = new UserDriver(catalog, "bo", Date.UTC(2026, 2, 2, 12, 0));
    user.identify({
      attributes: { firstName: "Bo" },
      channels: { push: { address: "tok" }, email: { address: "bo@example.com" } },
    });
    user.event("cart_updated", { cartId: "c1", total: 80 });
    user.advanceBy(30 * MINUTE);
    assert.equal(user.sent().at(-1)?.payload.body, "Bo, your cart of 80 is waiting for you.");
    user.advanceBy(2 * HOUR);
    assert.deepEqual(
      user.sent().map((d) => d.channel),
      ["push", "email"],
    );
  });
});
