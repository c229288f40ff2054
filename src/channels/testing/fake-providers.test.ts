import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createProvider } from "../create-provider.js";
import type { ProviderMessage } from "../provider.js";
import { type FakeProviders, startFakeProviders } from "./fake-providers.js";
import { testMessage } from "./test-message.js";

describe("startFakeProviders", () => {
  let fakes: FakeProviders;

  before(async () => {
    fakes = await startFakeProviders();
  });
  after(() => fakes.close());

  it("starts every fake with configs that work as they are", async () => {
    const cases: [keyof FakeProviders["configs"], ProviderMessage][] = [
      ["webhook", testMessage("push", "token-1", { title: "t" })],
      ["slack", testMessage("slack", undefined, { text: "hello" })],
      ["twilio", testMessage("sms", "+15551234567", { text: "hello" })],
      ["sendgrid", testMessage("email", "ada@example.com", { subject: "s", text: "t" })],
      ["smtp", testMessage("email", "ada@example.com", { subject: "s", text: "t" })],
      ["fcm", testMessage("push", "fcm-token-abcdefghij", { title: "t", body: "b" })],
      ["sheets", testMessage("webhook", undefined, { row: ["a", "b"] })],
    ];
    for (const [name, message] of cases) {
      const provider = createProvider(fakes.configs[name], {
        allowPrivateUrls: true,
        now: Date.now,
        timeoutMs: 2000,
      });
      const [outcome] = await provider.send([message], new AbortController().signal);
      await provider.close();
      assert.equal(outcome?.status, "sent", `${name}: ${JSON.stringify(outcome)}`);
    }
    for (const fake of [
      fakes.webhook,
      fakes.slack,
      fakes.twilio,
      fakes.sendgrid,
      fakes.smtp,
      fakes.fcm,
      fakes.sheets,
    ]) {
      assert.equal(fake.accepted.length, 1);
      assert.deepEqual(fake.duplicates(), []);
    }
  });
});
