import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createProvider } from "./create-provider.js";
import type { Provider, ProviderOptions } from "./provider.js";
import { type FakeFcm, startFakeFcm } from "./testing/fake-fcm.js";
import { type FakeGoogleOAuth, startFakeGoogleOAuth } from "./testing/fake-google-oauth.js";
import { testMessage } from "./testing/test-message.js";
import { createTestServiceAccount } from "./testing/test-service-account.js";

const options: ProviderOptions = { allowPrivateUrls: true, now: Date.now, timeoutMs: 300 };
const signal = () => new AbortController().signal;
const TOKEN = "fcm-token-abcdefghijklmnop";
const push = { title: "Cart", body: "3 items wait", data: { cartId: "c-9", count: 3 } };

describe("FCM provider", () => {
  let oauth: FakeGoogleOAuth;
  let fake: FakeFcm;
  let provider: Provider;
  let account: ReturnType<typeof createTestServiceAccount>["account"];

  before(async () => {
    oauth = await startFakeGoogleOAuth();
    const service = createTestServiceAccount({ projectId: "shop-app", tokenUri: oauth.tokenUrl });
    account = service.account;
    oauth.register(account.client_email, service.publicKey);
    fake = await startFakeFcm(oauth, "shop-app");
    provider = createProvider({ id: "fcm", type: "fcm", config: { ...account, baseUrl: fake.url } }, options);
  });
  after(async () => {
    await fake.close();
    await oauth.close();
  });
  beforeEach(() => {
    fake.reset();
    oauth.ok();
  });

  it("gets a token with a signed JWT, sends the v1 message and caches the token", async () => {
    const first = testMessage("push", TOKEN, push);
    const second = testMessage("push", TOKEN, push);
    const issuedBefore = oauth.accepted.length;
    const [a] = await provider.send([first], signal());
    const [b] = await provider.send([second], signal());
    assert.equal(a?.status, "sent");
    assert.match(a?.status === "sent" ? (a.providerMessageId ?? "") : "", /^projects\/shop-app\/messages\//);
    assert.equal(b?.status, "sent");
    assert.equal(oauth.accepted.length - issuedBefore <= 1, true, "one token for both sends");
    const sent = fake.accepted[0]?.message;
    assert.equal(sent?.token, TOKEN);
    assert.deepEqual(sent?.notification, { title: "Cart", body: "3 items wait" });
    assert.deepEqual(sent?.data, {
      cartId: "c-9",
      count: "3",
      idempotencyKey: first.idempotencyKey,
      journeyId: "journey-1",
      nodeId: "node-1",
    });
    assert.equal(fake.count(first.idempotencyKey), 1);
    assert.equal(fake.requests[0]?.headers["idempotency-key"], first.idempotencyKey);
  });

  it("retries 429 and 503 with Retry-After", async () => {
    fake.rateLimited(12);
    const [limited] = await provider.send([testMessage("push", TOKEN, push)], signal());
    assert.equal(limited?.status === "retry" && limited.retryAfterMs, 12_000);
    fake.serverError();
    const [unavailable] = await provider.send([testMessage("push", TOKEN, push)], signal());
    assert.equal(unavailable?.status, "retry");
    assert.match(unavailable?.status === "retry" ? unavailable.error : "", /503 UNAVAILABLE/);
  });

  it("unsubscribes UNREGISTERED and invalid tokens", async () => {
    fake.unregister("uninstalled-token-1234");
    const [gone] = await provider.send([testMessage("push", "uninstalled-token-1234", push)], signal());
    assert.equal(gone?.status === "permanent" && gone.unsubscribe, true);
    assert.match(gone?.status === "permanent" ? gone.error : "", /404 UNREGISTERED/);
    const [invalid] = await provider.send([testMessage("push", "bad", push)], signal());
    assert.equal(invalid?.status === "permanent" && invalid.unsubscribe, true);
    fake.permanent("SENDER_ID_MISMATCH");
    const [mismatch] = await provider.send([testMessage("push", TOKEN, push)], signal());
    assert.equal(mismatch?.status === "permanent" && mismatch.unsubscribe, true);
  });

  it("fails an INVALID_ARGUMENT about the payload permanently without unsubscribing", async () => {
    const [outcome] = await provider.send(
      [testMessage("push", TOKEN, { title: "x", data: { from: "me" } })],
      signal(),
    );
    assert.equal(outcome?.status, "permanent");
    assert.equal(outcome?.status === "permanent" && outcome.unsubscribe, undefined);
    assert.match(outcome?.status === "permanent" ? outcome.error : "", /Invalid data payload key: from/);
  });

  it("refreshes the token once on 401 and sends", async () => {
    await provider.send([testMessage("push", TOKEN, push)], signal());
    oauth.revokeAll();
    const issuedBefore = oauth.accepted.length;
    const [outcome] = await provider.send([testMessage("push", TOKEN, push)], signal());
    assert.equal(outcome?.status, "sent");
    assert.equal(oauth.accepted.length, issuedBefore + 1);
  });

  it("reports a refused JWT (wrong key) as a permanent token error", async () => {
    const stranger = createTestServiceAccount({ projectId: "shop-app", tokenUri: oauth.tokenUrl }).account;
    const other = createProvider(
      {
        id: "other",
        type: "fcm",
        config: { ...stranger, client_email: account.client_email, baseUrl: fake.url },
      },
      options,
    );
    const [outcome] = await other.send([testMessage("push", TOKEN, push)], signal());
    assert.equal(outcome?.status, "permanent");
    assert.match(
      outcome?.status === "permanent" ? outcome.error : "",
      /access token: .*Invalid JWT Signature/,
    );
  });

  it("retries when the token endpoint is down", async () => {
    const fresh = createProvider(
      { id: "fresh", type: "fcm", config: { ...account, baseUrl: fake.url } },
      options,
    );
    oauth.serverError();
    const [outcome] = await fresh.send([testMessage("push", TOKEN, push)], signal());
    assert.equal(outcome?.status, "retry");
  });

  it("retries when FCM never answers, after the timeout", async () => {
    await provider.send([testMessage("push", TOKEN, push)], signal());
    fake.hang();
    const [outcome] = await provider.send([testMessage("push", TOKEN, push)], signal());
    assert.equal(outcome?.status, "retry");
  });
});
