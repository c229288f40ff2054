import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createProvider } from "./create-provider.js";
import type { Provider, ProviderOptions } from "./provider.js";
import { type FakeSlack, startFakeSlack } from "./testing/fake-slack.js";
import { testMessage } from "./testing/test-message.js";

const options: ProviderOptions = { allowPrivateUrls: true, now: Date.now, timeoutMs: 300 };
const signal = () => new AbortController().signal;

describe("Slack provider", () => {
  let fake: FakeSlack;
  let provider: Provider;

  before(async () => {
    fake = await startFakeSlack();
    provider = createProvider({ id: "slack", type: "slack", config: { url: fake.hookUrl() } }, options);
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  it("posts text and blocks to the configured webhook, with the idempotency key", async () => {
    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "*Cart* waiting" } }];
    const message = testMessage("slack", undefined, { text: "Cart waiting", blocks });
    const [outcome] = await provider.send([message], signal());
    assert.deepEqual(outcome, { status: "sent" });
    assert.equal(fake.count(message.idempotencyKey), 1);
    assert.deepEqual(fake.accepted[0]?.message, {
      hook: new URL(fake.hookUrl()).pathname,
      text: "Cart waiting",
      blocks,
    });
  });

  it("uses the user's own webhook URL when the profile has one", async () => {
    const own = fake.hookUrl("T0002", "B0002", "userhook");
    const [outcome] = await provider.send([testMessage("slack", own, { text: "hi" })], signal());
    assert.equal(outcome?.status, "sent");
    assert.equal(fake.accepted[0]?.message.hook, new URL(own).pathname);
  });

  it("retries a 429 after Retry-After", async () => {
    fake.rateLimited(30);
    const [outcome] = await provider.send([testMessage("slack", undefined, { text: "x" })], signal());
    assert.deepEqual(outcome?.status === "retry" && outcome.retryAfterMs, 30_000);
  });

  it("retries a 5xx", async () => {
    fake.serverError();
    const [outcome] = await provider.send([testMessage("slack", undefined, { text: "x" })], signal());
    assert.equal(outcome?.status, "retry");
  });

  it("fails invalid_payload permanently, and unsubscribes a revoked user webhook (404 no_service)", async () => {
    fake.permanent("invalid_payload");
    const [invalid] = await provider.send([testMessage("slack", undefined, { text: "x" })], signal());
    assert.equal(invalid?.status, "permanent");
    assert.match(invalid?.status === "permanent" ? invalid.error : "", /400 invalid_payload/);
    fake.ok();
    const own = fake.hookUrl("T0003", "B0003", "gone");
    fake.revoke(own);
    const [revoked] = await provider.send([testMessage("slack", own, { text: "x" })], signal());
    assert.deepEqual(revoked, {
      status: "permanent",
      error: "Slack answered 404 no_service",
      unsubscribe: true,
    });
  });

  it("checks the request as Slack does: a message without text or blocks is refused before any call", async () => {
    const [outcome] = await provider.send([testMessage("slack", undefined, { title: "no text" })], signal());
    assert.equal(outcome?.status, "permanent");
    assert.equal(fake.requests.length, 0);
  });

  it("retries when Slack never answers, after the timeout", async () => {
    fake.hang();
    const [outcome] = await provider.send([testMessage("slack", undefined, { text: "x" })], signal());
    assert.equal(outcome?.status, "retry");
  });

  it("answers a message of another channel permanently without a call", async () => {
    const [outcome] = await provider.send([testMessage("sms", "+15550001", { text: "x" })], signal());
    assert.match(outcome?.status === "permanent" ? outcome.error : "", /does not deliver sms/);
  });
});
