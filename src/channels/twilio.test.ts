import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createProvider } from "./create-provider.js";
import type { Provider, ProviderOptions } from "./provider.js";
import { type FakeTwilio, startFakeTwilio } from "./testing/fake-twilio.js";
import { testMessage } from "./testing/test-message.js";

const options: ProviderOptions = { allowPrivateUrls: true, now: Date.now, timeoutMs: 300 };
const signal = () => new AbortController().signal;
const CONTENT_SID = `HX${"b".repeat(32)}`;
const SERVICE_SID = `MG${"c".repeat(32)}`;

describe("Twilio provider", () => {
  let fake: FakeTwilio;
  let provider: Provider;

  before(async () => {
    fake = await startFakeTwilio();
    provider = createProvider(
      {
        id: "twilio",
        type: "twilio",
        config: {
          accountSid: fake.accountSid,
          authToken: fake.authToken,
          from: "+15005550006",
          whatsappFrom: "+14155238886",
          statusCallback: "https://journeys.example.com/v1/callbacks/twilio",
          baseUrl: fake.url,
        },
      },
      options,
    );
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  it("sends an SMS with Basic auth, form parameters and the idempotency token", async () => {
    const message = testMessage("sms", "+33612345678", { text: "Your cart misses you" });
    const [outcome] = await provider.send([message], signal());
    assert.equal(outcome?.status, "sent");
    assert.match(outcome?.status === "sent" ? (outcome.providerMessageId ?? "") : "", /^SM[0-9a-f]{32}$/);
    assert.equal(fake.count(message.idempotencyKey), 1);
    const sms = fake.accepted[0]?.message;
    assert.equal(sms?.to, "+33612345678");
    assert.equal(sms?.from, "+15005550006");
    assert.equal(sms?.body, "Your cart misses you");
    const callback = new URL(sms?.statusCallback ?? "");
    assert.equal(callback.searchParams.get("journeysKey"), message.idempotencyKey);
    assert.equal(fake.requests[0]?.headers["i-twilio-idempotency-token"], message.idempotencyKey);
  });

  it("sends a WhatsApp content template with whatsapp: addresses and ContentVariables JSON", async () => {
    const message = testMessage("whatsapp", "+33612345678", {
      contentSid: CONTENT_SID,
      variables: { "1": "Ada", "2": "3 items" },
    });
    const [outcome] = await provider.send([message], signal());
    assert.equal(outcome?.status, "sent");
    const sent = fake.accepted[0]?.message;
    assert.equal(sent?.to, "whatsapp:+33612345678");
    assert.equal(sent?.from, "whatsapp:+14155238886");
    assert.equal(sent?.contentSid, CONTENT_SID);
    assert.deepEqual(sent?.contentVariables, { "1": "Ada", "2": "3 items" });
  });

  it("uses a Messaging Service instead of From when configured", async () => {
    const service = createProvider(
      {
        id: "svc",
        type: "twilio",
        config: {
          accountSid: fake.accountSid,
          authToken: fake.authToken,
          messagingServiceSid: SERVICE_SID,
          baseUrl: fake.url,
        },
      },
      options,
    );
    const [outcome] = await service.send([testMessage("sms", "+15551234567", { body: "hi" })], signal());
    assert.equal(outcome?.status, "sent");
    assert.equal(fake.accepted[0]?.message.messagingServiceSid, SERVICE_SID);
    assert.equal(fake.accepted[0]?.message.from, undefined);
  });

  it("retries 429 (20429) after Retry-After", async () => {
    fake.rateLimited(5);
    const [outcome] = await provider.send([testMessage("sms", "+15551234567", { text: "x" })], signal());
    assert.equal(outcome?.status, "retry");
    assert.equal(outcome?.status === "retry" && outcome.retryAfterMs, 5000);
    assert.match(outcome?.status === "retry" ? outcome.error : "", /20429/);
  });

  it("retries a 5xx", async () => {
    fake.serverError();
    const [outcome] = await provider.send([testMessage("sms", "+15551234567", { text: "x" })], signal());
    assert.equal(outcome?.status, "retry");
  });

  it("fails 21610 (unsubscribed) and 21211 (invalid number) permanently and unsubscribes the number", async () => {
    fake.permanent(21610);
    const [stopped] = await provider.send([testMessage("sms", "+15551234567", { text: "x" })], signal());
    assert.equal(stopped?.status === "permanent" && stopped.unsubscribe, true);
    fake.ok();
    // The fake validates the number as Twilio does: this one is not E.164.
    const [invalid] = await provider.send([testMessage("sms", "0612", { text: "x" })], signal());
    assert.equal(invalid?.status, "permanent");
    assert.equal(invalid?.status === "permanent" && invalid.unsubscribe, true);
    assert.match(invalid?.status === "permanent" ? invalid.error : "", /21211/);
  });

  it("fails other 4xx permanently without unsubscribing (region not enabled, bad credentials)", async () => {
    fake.permanent(21408);
    const [region] = await provider.send([testMessage("sms", "+15551234567", { text: "x" })], signal());
    assert.equal(region?.status, "permanent");
    assert.equal(region?.status === "permanent" && region.unsubscribe, undefined);
    fake.ok();
    const wrong = createProvider(
      {
        id: "wrong",
        type: "twilio",
        config: { accountSid: fake.accountSid, authToken: "nope", from: "+15005550006", baseUrl: fake.url },
      },
      options,
    );
    const [auth] = await wrong.send([testMessage("sms", "+15551234567", { text: "x" })], signal());
    assert.match(auth?.status === "permanent" ? auth.error : "", /401 error 20003/);
  });

  it("refuses a message with nothing to send before calling Twilio", async () => {
    const [outcome] = await provider.send([testMessage("sms", "+15551234567", {})], signal());
    assert.equal(outcome?.status, "permanent");
    assert.equal(fake.requests.length, 0);
  });

  it("retries when Twilio never answers, after the timeout", async () => {
    fake.hang();
    const [outcome] = await provider.send([testMessage("sms", "+15551234567", { text: "x" })], signal());
    assert.equal(outcome?.status, "retry");
  });

  it("follows a scripted sequence: one 503 then success", async () => {
    fake.script({ kind: "serverError" });
    const message = testMessage("sms", "+15551234567", { text: "x" });
    const [first] = await provider.send([message], signal());
    const [second] = await provider.send([message], signal());
    assert.equal(first?.status, "retry");
    assert.equal(second?.status, "sent");
    assert.equal(fake.count(message.idempotencyKey), 1);
  });
});
