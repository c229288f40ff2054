import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createProvider } from "./create-provider.js";
import type { Provider, ProviderOptions } from "./provider.js";
import { type FakeSendGrid, startFakeSendGrid } from "./testing/fake-sendgrid.js";
import { testMessage } from "./testing/test-message.js";

const options: ProviderOptions = { allowPrivateUrls: true, now: Date.now, timeoutMs: 300 };
const signal = () => new AbortController().signal;
const email = { subject: "Your cart", text: "3 items wait", html: "<p>3 items wait</p>" };

describe("SendGrid provider", () => {
  let fake: FakeSendGrid;
  let provider: Provider;

  before(async () => {
    fake = await startFakeSendGrid();
    provider = createProvider(
      {
        id: "sg",
        type: "sendgrid",
        config: { apiKey: fake.apiKey, from: { email: "shop@example.com", name: "Shop" }, baseUrl: fake.url },
      },
      options,
    );
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  it("sends through v3 mail/send and returns X-Message-Id; the key is in custom_args and Idempotency-Key", async () => {
    const message = testMessage("email", "ada@example.com", email);
    const [outcome] = await provider.send([message], signal());
    assert.equal(outcome?.status, "sent");
    const mail = fake.accepted[0]?.message;
    assert.equal(outcome?.status === "sent" && outcome.providerMessageId, mail?.messageId);
    assert.equal(fake.count(message.idempotencyKey), 1);
    assert.deepEqual(mail?.to, ["ada@example.com"]);
    assert.equal(mail?.from, "shop@example.com");
    assert.equal(mail?.subject, "Your cart");
    assert.deepEqual(
      mail?.content.map((block) => block.type),
      ["text/plain", "text/html"],
    );
    assert.equal(mail?.customArgs.journeyId, "journey-1");
    assert.equal(fake.requests[0]?.headers["idempotency-key"], message.idempotencyKey);
  });

  it("retries a 429 after X-RateLimit-Reset", async () => {
    fake.rateLimited(20);
    const [outcome] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    assert.equal(outcome?.status, "retry");
    const wait = outcome?.status === "retry" ? (outcome.retryAfterMs ?? 0) : 0;
    assert.ok(wait > 19_000 && wait <= 21_000, `waits about 20 s, got ${wait}`);
  });

  it("retries a 5xx", async () => {
    fake.serverError();
    const [outcome] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    assert.equal(outcome?.status, "retry");
  });

  it("fails 401/403/413 permanently", async () => {
    for (const status of [401, 403, 413]) {
      fake.permanent(status);
      const [outcome] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
      assert.equal(outcome?.status, "permanent", String(status));
      assert.match(outcome?.status === "permanent" ? outcome.error : "", new RegExp(`SendGrid ${status}`));
    }
  });

  it("hard-bounces an address SendGrid calls invalid (the fake checks addresses as SendGrid does)", async () => {
    const [outcome] = await provider.send([testMessage("email", "not-an-address", email)], signal());
    assert.deepEqual(outcome, {
      status: "permanent",
      error: "SendGrid 400: Does not contain a valid address. (personalizations.0.to.0.email)",
      unsubscribe: true,
    });
  });

  it("reports a bad API key as a permanent 401 from the fake", async () => {
    const wrong = createProvider(
      {
        id: "wrong",
        type: "sendgrid",
        config: { apiKey: "SG.wrong", from: "shop@example.com", baseUrl: fake.url },
      },
      options,
    );
    const [outcome] = await wrong.send([testMessage("email", "ada@example.com", email)], signal());
    assert.match(
      outcome?.status === "permanent" ? outcome.error : "",
      /401: The provided authorization grant/,
    );
  });

  it("retries when SendGrid never answers, after the timeout", async () => {
    fake.hang();
    const [outcome] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    assert.equal(outcome?.status, "retry");
  });

  it("sends each message of a batch in its own request, outcomes in order", async () => {
    fake.script({ kind: "ok" }, { kind: "serverError" });
    const messages = [
      testMessage("email", "a@example.com", email),
      testMessage("email", "b@example.com", email),
    ];
    const outcomes = await provider.send(messages, signal());
    assert.equal(outcomes.length, 2);
    assert.equal(outcomes.filter((o) => o.status === "sent").length, 1);
    assert.equal(fake.requests.length, 2);
  });
});
