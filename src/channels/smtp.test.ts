import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { createProvider } from "./create-provider.js";
import type { Provider, ProviderOptions } from "./provider.js";
import { messageIdOf } from "./smtp.js";
import { type FakeSmtp, startFakeSmtp } from "./testing/fake-smtp.js";
import { testMessage } from "./testing/test-message.js";

const AUTH = { user: "journeys", pass: "secret" };
const options: ProviderOptions = { allowPrivateUrls: true, now: Date.now, timeoutMs: 500 };
const signal = () => new AbortController().signal;
const email = { subject: "Your cart", text: "3 items wait", html: "<p>3 items wait</p>" };

describe("SMTP provider", () => {
  let fake: FakeSmtp;
  let provider: Provider;

  before(async () => {
    fake = await startFakeSmtp({ auth: AUTH });
    provider = createProvider(
      {
        id: "smtp",
        type: "smtp",
        config: { host: fake.host, port: fake.port, auth: AUTH, from: "Shop <shop@example.com>" },
      },
      options,
    );
  });
  after(async () => {
    await provider.close();
    await fake.close();
  });
  beforeEach(() => fake.reset());

  it("sends with a Message-ID derived from the key and an X-Journeys-Idempotency-Key header", async () => {
    const message = testMessage("email", "ada@example.com", email);
    const [outcome] = await provider.send([message], signal());
    assert.deepEqual(outcome, { status: "sent", providerMessageId: messageIdOf(message.idempotencyKey) });
    assert.equal(fake.count(message.idempotencyKey), 1);
    const mail = fake.accepted[0]?.message;
    assert.equal(mail?.from, "shop@example.com");
    assert.deepEqual(mail?.to, ["ada@example.com"]);
    assert.equal(mail?.headers["message-id"], `<${message.idempotencyKey}@journeys>`);
    assert.equal(mail?.headers.subject, "Your cart");
    assert.match(mail?.raw ?? "", /3 items wait/);
  });

  it("retries a 4xx (rate limit, temporary failure)", async () => {
    fake.rateLimited(10);
    const [limited] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    assert.equal(limited?.status, "retry");
    assert.match(limited?.status === "retry" ? limited.error : "", /451/);
    fake.serverError();
    const [failed] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    assert.equal(failed?.status, "retry");
  });

  it("hard-bounces a 550 at RCPT (mailbox does not exist) and fails other 5xx without unsubscribing", async () => {
    fake.permanent(550);
    const [bounced] = await provider.send([testMessage("email", "gone@example.com", email)], signal());
    assert.equal(bounced?.status, "permanent");
    assert.equal(bounced?.status === "permanent" && bounced.unsubscribe, true);
    fake.permanent(554);
    const [spam] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    assert.equal(spam?.status, "permanent");
    assert.equal(spam?.status === "permanent" && spam.unsubscribe, undefined);
  });

  it("fails bad credentials permanently (535)", async () => {
    const wrong = createProvider(
      {
        id: "wrong",
        type: "smtp",
        config: {
          host: fake.host,
          port: fake.port,
          auth: { user: "journeys", pass: "nope" },
          from: "shop@example.com",
        },
      },
      options,
    );
    const [outcome] = await wrong.send([testMessage("email", "ada@example.com", email)], signal());
    await wrong.close();
    assert.equal(outcome?.status, "permanent");
    assert.match(outcome?.status === "permanent" ? outcome.error : "", /535/);
  });

  it("retries when the server never answers the DATA, after the timeout", async () => {
    fake.hang();
    const started = Date.now();
    const [outcome] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    assert.equal(outcome?.status, "retry");
    assert.ok(Date.now() - started < 3000);
    fake.ok();
    const [next] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    assert.equal(next?.status, "sent", "the pool recovers after a hung connection");
  });

  it("refuses a private SMTP host unless private targets are allowed", async () => {
    const strict = createProvider(
      {
        id: "strict",
        type: "smtp",
        config: { host: "127.0.0.1", port: fake.port, from: "shop@example.com" },
      },
      { ...options, allowPrivateUrls: false },
    );
    const [outcome] = await strict.send([testMessage("email", "ada@example.com", email)], signal());
    await strict.close();
    assert.match(outcome?.status === "permanent" ? outcome.error : "", /loopback/);
  });
});
