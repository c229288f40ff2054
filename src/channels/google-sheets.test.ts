import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { ProviderConfig } from "./config.js";
import { createProvider } from "./create-provider.js";
import type { Provider, ProviderOptions } from "./provider.js";
import { type FakeGoogleOAuth, startFakeGoogleOAuth } from "./testing/fake-google-oauth.js";
import { type FakeSheets, startFakeSheets } from "./testing/fake-sheets.js";
import { testMessage } from "./testing/test-message.js";
import { createTestServiceAccount } from "./testing/test-service-account.js";

const options: ProviderOptions = { allowPrivateUrls: true, now: Date.now, timeoutMs: 300 };
const signal = () => new AbortController().signal;
const SHEET_ID = "1AbC_sheet-id";

describe("Google Sheets provider", () => {
  let oauth: FakeGoogleOAuth;
  let fake: FakeSheets;
  let provider: Provider;
  let config: ProviderConfig;

  before(async () => {
    oauth = await startFakeGoogleOAuth();
    const service = createTestServiceAccount({ tokenUri: oauth.tokenUrl });
    oauth.register(service.account.client_email, service.publicKey);
    fake = await startFakeSheets(oauth, SHEET_ID, ["Sheet1", "Leads"]);
    config = {
      id: "sheet",
      type: "google-sheets",
      config: {
        ...service.account,
        spreadsheetId: SHEET_ID,
        range: "Leads!A:D",
        valueInputOption: "USER_ENTERED",
        baseUrl: fake.url,
      },
    };
    provider = createProvider(config, options);
  });
  after(async () => {
    await fake.close();
    await oauth.close();
  });
  beforeEach(() => fake.reset());

  it("appends a batch as one call, key first, and reports each row's range", async () => {
    const messages = [
      testMessage("webhook", undefined, { row: ["ada@example.com", 42, true] }),
      testMessage("webhook", undefined, { row: ['=IMPORTXML("http://x")', null] }),
      testMessage("webhook", undefined, { title: "no row" }),
    ];
    const outcomes = await provider.send(messages, signal());
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(outcomes[0], { status: "sent", providerMessageId: "Leads!A1:D1" });
    assert.deepEqual(outcomes[1], { status: "sent", providerMessageId: "Leads!A2:D2" });
    assert.equal(outcomes[2]?.status, "permanent");
    assert.deepEqual(fake.rows("Leads"), [
      [messages[0]?.idempotencyKey, "ada@example.com", 42, true],
      [messages[1]?.idempotencyKey, '\'=IMPORTXML("http://x")', ""],
    ]);
    assert.equal(fake.count(messages[0]?.idempotencyKey ?? ""), 1);
    assert.equal(fake.requests[0]?.query.get("valueInputOption"), "USER_ENTERED");
    assert.match(String(fake.requests[0]?.headers["idempotency-key"]), /^batch-[0-9a-f]{64}$/);
  });

  it("sends one message's key as Idempotency-Key", async () => {
    const message = testMessage("webhook", undefined, { row: ["x"] });
    await provider.send([message], signal());
    assert.equal(fake.requests[0]?.headers["idempotency-key"], message.idempotencyKey);
  });

  it("retries 429 with Retry-After and 5xx, for every row of the batch", async () => {
    fake.rateLimited(60);
    const outcomes = await provider.send(
      [testMessage("webhook", undefined, { row: ["a"] }), testMessage("webhook", undefined, { row: ["b"] })],
      signal(),
    );
    assert.deepEqual(
      outcomes.map((o) => o.status === "retry" && o.retryAfterMs),
      [60_000, 60_000],
    );
    fake.serverError();
    const [down] = await provider.send([testMessage("webhook", undefined, { row: ["a"] })], signal());
    assert.equal(down?.status, "retry");
  });

  it("fails PERMISSION_DENIED and a range the sheet does not have permanently", async () => {
    fake.permanent("PERMISSION_DENIED");
    const [denied] = await provider.send([testMessage("webhook", undefined, { row: ["a"] })], signal());
    assert.match(denied?.status === "permanent" ? denied.error : "", /403.*PERMISSION_DENIED/);
    fake.ok();
    const missing = createProvider(
      { ...config, id: "missing", config: { ...config.config, range: "Nope!A:B" } } as ProviderConfig,
      options,
    );
    const [outcome] = await missing.send([testMessage("webhook", undefined, { row: ["a"] })], signal());
    assert.match(outcome?.status === "permanent" ? outcome.error : "", /Unable to parse range: Nope!A:B/);
  });

  it("retries when Sheets never answers, after the timeout", async () => {
    await provider.send([testMessage("webhook", undefined, { row: ["warm"] })], signal());
    fake.hang();
    const [outcome] = await provider.send([testMessage("webhook", undefined, { row: ["a"] })], signal());
    assert.equal(outcome?.status, "retry");
  });
});
